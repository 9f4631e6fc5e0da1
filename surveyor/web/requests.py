"""The app's request class: litestar-htmx's, with the ``HX-Request`` header read once.

A respondent page asks ``bool(request.htmx)`` four times a request (the view, the render
helper, the answer and a plugin's template hook), and each time litestar-htmx looked up
two headers (issue 17). A request's headers never change, so the answer is kept.
"""

from __future__ import annotations

from functools import cached_property

from litestar import Request
from litestar.connection.base import empty_receive, empty_send
from litestar.types import Receive, Scope, Send
from litestar_htmx import HTMXDetails, HTMXRequest


class HTMXDetailsOnce(HTMXDetails):
    """``HTMXDetails`` whose truth is worked out on first use."""

    @cached_property
    def _sent(self) -> bool:
        return HTMXDetails.__bool__(self)

    def __bool__(self) -> bool:
        return self._sent


class SurveyorRequest(HTMXRequest):
    """``HTMXRequest`` (``request.htmx``), with ``HTMXDetailsOnce``."""

    __slots__ = ()

    def __init__(
        self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send
    ) -> None:
        Request.__init__(self, scope=scope, receive=receive, send=send)
        self.htmx = HTMXDetailsOnce(self)
