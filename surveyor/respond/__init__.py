"""Respondent pages: personal links (/s/), public links (/p/) and unsubscribe (/u/)."""
