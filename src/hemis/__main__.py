"""`python -m hemis` and the `hemis` script."""

from hemis.cli import main

if __name__ == "__main__":
    main()
