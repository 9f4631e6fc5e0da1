"""What each preset ships with: a working default mapping for the provider's common
event, the payload fields kept in the log, and where its event id is.

The defaults are starting points the admin edits on the source page; docs/inbound.md
shows each next to the provider's payload.
"""

from __future__ import annotations

import msgspec

from surveyor.sources.mapping import Mapping


class PresetDefaults(msgspec.Struct, frozen=True, kw_only=True):
    mapping: Mapping
    # Paths kept in the payload log (surveyor.sources.redact); everything else is dropped.
    # They cover what the default mapping reads, so a logged payload can be replayed.
    allow_list: tuple[str, ...]
    # JMESPath to the provider's event id, used as the idempotency key and, when the
    # provider sends no delivery-id header, for replay refusal.
    event_id: str
    # True when the secret is made by the provider and must be pasted here.
    secret_from_provider: bool


DEFAULTS: dict[str, PresetDefaults] = {
    # Stripe `invoice.paid`: the customer is the invoice's customer.
    "stripe": PresetDefaults(
        mapping=Mapping(
            filter="type == 'invoice.paid'",
            contact_id="data.object.customer",
            email="data.object.customer_email",
            name="data.object.customer_name",
            properties="{invoice: data.object.id, amount_paid: data.object.amount_paid,"
            " currency: data.object.currency}",
        ),
        allow_list=(
            "id",
            "type",
            "created",
            "data.object.id",
            "data.object.customer",
            "data.object.customer_email",
            "data.object.customer_name",
            "data.object.amount_paid",
            "data.object.currency",
        ),
        event_id="id",
        secret_from_provider=True,
    ),
    # Shopify `orders/fulfilled`: the order's customer.
    "shopify": PresetDefaults(
        mapping=Mapping(
            filter="fulfillment_status == 'fulfilled'",
            contact_id="to_string(customer.id)",
            email="email || customer.email",
            phone="phone || customer.phone",
            name="join(' ', [customer.first_name || '', customer.last_name || ''])",
            locale="customer_locale",
            properties="{order: name, order_id: to_string(id), total: total_price,"
            " currency: currency}",
            idempotency_key="join(':', ['orders/fulfilled', to_string(id)])",
        ),
        allow_list=(
            "id",
            "name",
            "fulfillment_status",
            "email",
            "phone",
            "customer.id",
            "customer.email",
            "customer.phone",
            "customer.first_name",
            "customer.last_name",
            "total_price",
            "currency",
            "customer_locale",
        ),
        event_id="to_string(id)",
        secret_from_provider=True,
    ),
    # A Zendesk trigger "Ticket is Solved" that notifies the webhook with this JSON body:
    # {"ticket": {"id": "{{ticket.id}}", "status": "{{ticket.status}}",
    #  "requester": {"id": "{{ticket.requester.id}}", "email": "{{ticket.requester.email}}",
    #  "name": "{{ticket.requester.name}}", "locale": "{{ticket.requester.language}}"}}}
    "zendesk": PresetDefaults(
        mapping=Mapping(
            filter="ticket.status == 'solved' || ticket.status == 'Solved'",
            contact_id="to_string(ticket.requester.id)",
            email="ticket.requester.email",
            name="ticket.requester.name",
            properties="{ticket_id: to_string(ticket.id)}",
            idempotency_key="join(':', ['ticket-solved', to_string(ticket.id)])",
        ),
        allow_list=("ticket.id", "ticket.status", "ticket.requester"),
        event_id="to_string(ticket.id)",
        secret_from_provider=True,
    ),
    # HubSpot webhook subscription `deal.propertyChange` on `dealstage`: HubSpot sends a
    # list of events; the default maps the first (see docs/inbound.md).
    "hubspot": PresetDefaults(
        mapping=Mapping(
            filter="[0].subscriptionType == 'deal.propertyChange'"
            " && [0].propertyName == 'dealstage'",
            contact_id="to_string([0].objectId)",
            properties="{deal_id: to_string([0].objectId), stage: [0].propertyValue,"
            " portal: to_string([0].portalId)}",
        ),
        allow_list=(
            "[0].eventId",
            "[0].subscriptionType",
            "[0].propertyName",
            "[0].propertyValue",
            "[0].objectId",
            "[0].portalId",
        ),
        event_id="to_string([0].eventId)",
        secret_from_provider=True,
    ),
    # GitHub `issues` closed: the author.
    "github": PresetDefaults(
        mapping=Mapping(
            filter="action == 'closed' && issue != null",
            contact_id="to_string(issue.user.id)",
            name="issue.user.login",
            properties="{repository: repository.full_name, issue: issue.number}",
            idempotency_key="join(':', ['issue-closed', to_string(issue.id)])",
        ),
        allow_list=(
            "action",
            "issue.id",
            "issue.number",
            "issue.user.id",
            "issue.user.login",
            "repository.full_name",
        ),
        event_id="to_string(issue.id)",
        secret_from_provider=False,
    ),
    # Standard Webhooks and generic HMAC: a body shaped like our own events API.
    "standard": PresetDefaults(
        mapping=Mapping(
            contact_id="contact.id",
            email="contact.email",
            phone="contact.phone",
            name="contact.name",
            locale="contact.locale",
            timezone="contact.timezone",
            attributes="contact.attributes",
            properties="properties",
            checkpoint="checkpoint",
        ),
        allow_list=("id", "type", "checkpoint", "contact", "properties"),
        event_id="id",
        secret_from_provider=False,
    ),
}
DEFAULTS["hmac"] = msgspec.structs.replace(DEFAULTS["standard"])
