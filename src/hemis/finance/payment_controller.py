"""/api/v1/finance online payments: provider accounts, the payment event log, Stripe Checkout for
an instalment; and the providers' own endpoints (Stripe webhook, Payme merchant API) per tenant."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.config import Settings
from hemis.core.auth import Principal, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.errors import language_of, make_problem, problem_response
from hemis.core.listing import ListParams, PathId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read
from hemis.finance.controller import verify_url
from hemis.finance.models import PaymentEvent, PaymentProvider, StripeCheckout
from hemis.finance.payments import PaymentInbox, ProviderSettingsService
from hemis.finance.providers.payme import NOT_POST, PaymeMerchant
from hemis.finance.providers.payme import error as payme_error
from hemis.finance.providers.stripe import StripeGateway
from hemis.finance.schemas import (
    CheckoutCreate,
    CheckoutRead,
    PaymentEventDetail,
    PaymentEventRead,
    PaymentProviderRead,
    PaymentProviderUpdate,
)
from hemis.finance.service import ContractService
from tenants import current_tenant

ACCOUNTS = requires_role(Role.ADMIN, Role.ACCOUNTANT)
# A student pays their own contract (ContractService.get refuses anyone else's).
PAYERS = requires_role(Role.ADMIN, Role.ACCOUNTANT, Role.STUDENT)
ProviderName = Annotated[str, PathParameter(pattern=r"^(stripe|payme)$")]
EventStatus = Annotated[str | None, QueryParameter(pattern=r"^(pending|applied|duplicate|ignored|rejected)$")]
ProviderFilter = Annotated[str | None, QueryParameter(pattern=r"^(stripe|payme)$")]
ENDPOINTS = {"stripe": "/api/v1/finance/webhooks/stripe", "payme": "/api/v1/finance/payme"}


def _root(request: Request[Any, Any, Any]) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


def provider_view(row: PaymentProvider, request: Request[Any, Any, Any]) -> PaymentProviderRead:
    return PaymentProviderRead(
        provider=row.provider,
        active=row.active,
        merchant_id=row.merchant_id,
        currency=row.currency,
        exchange_rate=row.exchange_rate,
        has_api_key=bool(row.api_key),
        has_webhook_secret=bool(row.webhook_secret),
        endpoint=_root(request) + ENDPOINTS[row.provider],
    )


def event_detail(row: PaymentEvent) -> PaymentEventDetail:
    return PaymentEventDetail(
        **{f: getattr(row, f) for f in PaymentEventRead.__struct_fields__},
        body=bytes(row.body).decode("utf-8", errors="replace"),
        headers={str(k): str(v) for k, v in (row.headers or {}).items()},
    )


async def provide_inbox(db_session: NamedDependency[AsyncSession]) -> PaymentInbox:
    return PaymentInbox(db_session)


class PaymentController(Controller):
    path = "/api/v1/finance"
    tags = ["Finance"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "inbox": Provide(provide_inbox),
        "contracts": provide_service(ContractService),
    }

    @get("/payment-providers", operation_id="ListPaymentProviders", guards=[ACCOUNTS])
    async def list_providers(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> list[PaymentProviderRead]:
        """The university's payment provider accounts (secrets only as set / not set)."""
        rows = await ProviderSettingsService(db_session, actor=principal.subject).all()
        return [provider_view(r, request) for r in rows]

    @put("/payment-providers/{provider:str}", operation_id="PutPaymentProvider", guards=[ACCOUNTS])
    async def put_provider(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        provider: ProviderName,
        data: JSONBody[PaymentProviderUpdate],
    ) -> PaymentProviderRead:
        """Set up or change the account at Stripe or Payme; secrets are write-only. The answer
        names the endpoint to register at the provider (this university's own address)."""
        row = await ProviderSettingsService(db_session, actor=principal.subject).put(provider, changes(data))
        return provider_view(row, request)

    @get("/payment-events", operation_id="ListPaymentEvents", guards=[ACCOUNTS])
    async def list_events(
        self,
        inbox: NamedDependency[PaymentInbox],
        params: NamedDependency[ListParams],
        status: EventStatus = None,
        provider: ProviderFilter = None,
    ) -> Page[PaymentEventRead]:
        """Every request the providers sent, newest first; filter by status or provider, search
        by the provider's event id."""
        rows, total = await inbox.page(params, status=status, provider=provider)
        return page_of(rows, total, params.limit, params.offset, PaymentEventRead)

    @get("/payment-events/{item_id:int}", operation_id="GetPaymentEvent", guards=[ACCOUNTS])
    async def get_event(self, inbox: NamedDependency[PaymentInbox], item_id: PathId) -> PaymentEventDetail:
        """One provider request with its raw body, for review."""
        return event_detail(await inbox.get(item_id))

    @post("/contracts/{contract_id:int}/checkout", operation_id="StartCheckout", guards=[PAYERS])
    async def start_checkout(
        self,
        contracts: NamedDependency[ContractService],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        contract_id: PathId,
        data: JSONBody[CheckoutCreate],
    ) -> CheckoutRead:
        """Pay what is unpaid of one instalment by card through Stripe Checkout: open `url`.
        A student: their own contracts only. Stripe brings the payer back to the contract's
        public page, which shows it paid once Stripe's webhook has arrived."""
        contract = await contracts.get(contract_id)
        settings: Settings = request.app.state.settings
        back = verify_url(request, contract.verify_token)
        checkout = await StripeGateway(db_session, settings.payments, principal.tenant_code).start_checkout(
            contract, data.instalment, actor=principal.subject, success_url=back, cancel_url=back
        )
        return checkout_view(checkout)


def checkout_view(row: StripeCheckout) -> CheckoutRead:
    return to_read(row, CheckoutRead)


class PaymentWebhookController(Controller):
    """The providers' side, without sign-in: Stripe proves itself by the signature made with this
    university's webhook secret, Payme by this university's merchant key. Each request runs in
    transactions of its own, so a refused one is still kept (its 4xx rolls nothing back)."""

    path = "/api/v1/finance"
    tags = ["Finance"]
    opt = {"tenant_kinds": {"university"}}

    @post("/webhooks/stripe", operation_id="ReceiveStripeWebhook", status_code=200)
    async def stripe_webhook(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Stripe's webhook for this university: verified on the raw body, stored, applied once."""
        body = await request.body()
        settings: Settings = request.app.state.settings
        maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
        async with maker() as session:  # this request's tenant (the URL's or the host's)
            gateway = StripeGateway(session, settings.payments, current_tenant().code)
            outcome = await gateway.receive(body, request.headers.get("stripe-signature"))
            await session.commit()
        if outcome.status == "rejected":
            problem = make_problem(
                400, "finance.webhook_rejected", language_of(request), reason=outcome.reason
            )
            return problem_response(problem)
        return Response({"status": outcome.status, "reason": outcome.reason})

    @post("/payme", operation_id="PaymeMerchantApi", status_code=200)
    async def payme(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Payme's merchant API (JSON-RPC) for this university, authenticated by its merchant key."""
        body = await request.body()
        settings: Settings = request.app.state.settings
        maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
        answer = await PaymeMerchant(maker, settings.payments).handle(
            body, request.headers.get("authorization")
        )
        return Response(answer)

    @get("/payme", operation_id="PaymeMerchantApiNotPost")
    async def payme_not_post(self) -> dict[str, Any]:
        """Payme's API takes POST only: anything else is its error -32300."""
        return payme_error(NOT_POST, None)
