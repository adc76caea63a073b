"""The `hemis` command: human output by default, --json for scripts, --yes before a drop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hemis.cli import main
from hemis.config import Settings, get_settings
from tenants.migrate import tenant_head


@pytest.fixture
def cli(settings: Settings, tenants: object) -> Iterator[CliRunner]:
    env = {
        "DATABASE_URL": settings.db.url,
        "HEMIS_DB__URL": settings.db.url,
        "HEMIS_TENANCY__ROLE_PREFIX": settings.tenancy.role_prefix,
        "HEMIS_DUMP_DIR": str(settings.dump_dir),
        "HEMIS_DB__APP_PASSWORD": settings.db.app_password,
    }
    get_settings.cache_clear()
    yield CliRunner(env=env)
    get_settings.cache_clear()


def _run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


class TestTenantsList:
    def test_json_lists_every_tenant_at_head(self, cli: CliRunner) -> None:
        result = _run(cli, "tenants", "list", "--json")
        assert result.exit_code == 0
        items = {t["code"]: t for t in json.loads(result.stdout)}
        assert {"alpha", "beta", "national"} <= set(items)
        assert items["national"]["kind"] == "national"
        assert items["alpha"]["version"] == tenant_head()
        assert "alpha.localhost" in items["alpha"]["domains"]


class TestCreateAndDrop:
    def test_create_then_drop_with_dump(self, cli: CliRunner) -> None:
        created = _run(
            cli,
            "tenants",
            "create",
            "cli_uni",
            "--name",
            "CLI universiteti",
            "--name-ru",
            "Университет CLI",
            "--json",
        )
        assert created.exit_code == 0, created.output
        assert json.loads(created.stdout) | {"id": 0} == {
            "id": 0,
            "code": "cli_uni",
            "schema": "t_cli_uni",
            "kind": "university",
        }
        again = _run(cli, "tenants", "create", "cli_uni", "--name", "X")
        assert again.exit_code == 1
        refused = _run(cli, "tenants", "drop", "cli_uni")
        assert refused.exit_code == 2 and "--yes" in refused.output
        dropped = _run(cli, "tenants", "drop", "cli_uni", "--yes", "--json")
        assert dropped.exit_code == 0, dropped.output
        assert Path(json.loads(dropped.stdout)["dump"]).stat().st_size > 0
        codes = {t["code"] for t in json.loads(_run(cli, "tenants", "list", "--json").stdout)}
        assert "cli_uni" not in codes

    def test_invalid_code_is_a_usage_error(self, cli: CliRunner) -> None:
        result = _run(cli, "tenants", "create", "Bad-Code", "--name", "X")
        assert result.exit_code == 2
        assert "CODE" in result.output

    def test_bad_domain_is_a_usage_error_naming_the_option(self, cli: CliRunner) -> None:
        result = _run(cli, "tenants", "create", "cli_dom", "--name", "X", "--domain", "cli dom.uz")
        assert result.exit_code == 2
        assert "--domain" in result.output

    def test_drop_unknown_tenant_fails(self, cli: CliRunner) -> None:
        assert _run(cli, "tenants", "drop", "nobody_here", "--yes").exit_code == 1


class TestGradesVerify:
    def test_intact_chain_exits_0(self, cli: CliRunner) -> None:
        result = _run(cli, "grades", "verify", "alpha", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["intact"] is True

    def test_unknown_tenant_exits_1(self, cli: CliRunner) -> None:
        assert _run(cli, "grades", "verify", "nobody_here").exit_code == 1
