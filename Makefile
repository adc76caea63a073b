# The only task runner. Works on a machine with nothing but python3: uv is bootstrapped into .tools/.
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: run test lint migrate bench
run: $(UV)        ## install, set up (embedded PostgreSQL if DATABASE_URL is unset), demo data, serve :8000
	$(UV) run --frozen hemis demo
test: $(UV)       ## install and run the whole suite (DATABASE_URL or the embedded PostgreSQL)
	$(UV) run --frozen ruff check . && $(UV) run --frozen mypy && $(UV) run --frozen pytest
lint: $(UV)
	$(UV) run --frozen ruff check . && $(UV) run --frozen ruff format --check . && $(UV) run --frozen mypy
migrate: $(UV)    ## shared schemas, then every tenant
	$(UV) run --frozen hemis tenants migrate
bench: $(UV)
	$(UV) run --frozen python -m bench.provision && $(UV) run --frozen python -m bench.migrate && $(UV) run --frozen python -m bench.tenant_switch && $(UV) run --frozen python -m bench.mark_write && $(UV) run --frozen python -m bench.my_grades && $(UV) run --frozen python -m bench.sso_login && $(UV) run --frozen python -m bench.admin_console && $(UV) run --frozen python -m bench.payment_webhooks && $(UV) run --frozen python -m bench.stipend_payroll && $(UV) run --frozen python -m bench.national_dashboard && $(UV) run --frozen python -m bench.portal_home

.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/pip install --quiet uv
