"""The surveys domain, registered as a plugin of the core."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.surveys.api import SurveysApi
from surveyor.surveys.endings import EndingsDesigner
from surveyor.surveys.kinds import DEFAULT_KINDS, question_kinds
from surveyor.surveys.question_views import QuestionsDesigner
from surveyor.surveys.translations import TranslationsDesigner
from surveyor.surveys.views import ROUTES


@hookimpl
def register_routes(register: Any) -> None:
    register(SurveysApi)
    register(EndingsDesigner)
    register(QuestionsDesigner)
    register(TranslationsDesigner)
    for handler in ROUTES:
        register(handler)


@hookimpl
def startup(services: Any) -> None:
    # Build the kind registry before the first request, so a broken plugin kind stops
    # the start instead of the first survey page.
    question_kinds(services)


@hookimpl
def register_question_kinds(register: Any) -> None:
    # The built-in kinds come through the same hook as any plugin's.
    for kind in DEFAULT_KINDS.values():
        register(kind)
