"""Everything that knows a tenant exists: registry, naming, sessions, routing, provisioning, migrations."""

from tenants.context import TenantKind, TenantNotSetError, TenantRef, current_tenant, tenant_scope

__all__ = ["TenantKind", "TenantNotSetError", "TenantRef", "current_tenant", "tenant_scope"]
