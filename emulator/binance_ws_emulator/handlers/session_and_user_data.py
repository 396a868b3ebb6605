"""Session methods (logon, status, logout) and the user-data stream subscriptions."""

from __future__ import annotations

from typing import Any

from ..errors import EmulatorError
from .base import Request, method


def _session_status(req: Request) -> dict[str, Any]:
    session = req.session
    return {
        "apiKey": session.logged_on_key,
        "authorizedSince": session.authorized_since,
        "connectedSince": session.connected_ms,
        "returnRateLimits": session.options.return_rate_limits,
        "serverTime": req.exchange.now_ms(),
        "userDataStream": bool(session.subscriptions),
    }


@method("session.logon", security="SIGNED", weight=2)
def session_logon(req: Request) -> dict[str, Any]:
    req.known()
    return _session_status(req)


@method("session.status", weight=2)
def session_status(req: Request) -> dict[str, Any]:
    req.known()
    return _session_status(req)


@method("session.logout", weight=2)
def session_logout(req: Request) -> dict[str, Any]:
    req.known()
    session = req.session
    if session.logged_on_key is not None:
        account = req.exchange.keys[session.logged_on_key].account
        for subscription_id, subscribed in list(session.subscriptions.items()):
            if subscribed == account:
                session.terminate(subscription_id)
    session.logged_on_key = None
    session.authorized_since = None
    return _session_status(req)


@method("userDataStream.subscribe", security="USER_STREAM_SESSION", weight=2)
def user_data_subscribe(req: Request) -> dict[str, Any]:
    req.known()
    session = req.session
    if req.account in session.subscriptions.values():
        raise EmulatorError(400, -2035, "User Data Stream subscription already active.")
    subscription_id = session.next_subscription
    session.next_subscription += 1
    assert req.account is not None
    session.subscriptions[subscription_id] = req.account
    return {"subscriptionId": subscription_id}


@method("userDataStream.unsubscribe", weight=2)
def user_data_unsubscribe(req: Request) -> dict[str, Any]:
    req.known("subscriptionId")
    wanted = req.integer("subscriptionId")
    for subscription_id in list(req.session.subscriptions):
        if wanted is None or wanted == subscription_id:
            req.session.terminate(subscription_id)
    return {}


@method("session.subscriptions", weight=2)
def session_subscriptions(req: Request) -> list[dict[str, Any]]:
    req.known()
    return [{"subscriptionId": s} for s in req.session.subscriptions]


# The signed variant works on any connection with any key type; the subscription is the same.
method("userDataStream.subscribe.signature", security="USER_STREAM_SIGNED", weight=2)(user_data_subscribe)
