"""Names that are used where vulture cannot see it (read by a framework, a template or the
users of the Python API); `tests/test_architecture.py` runs vulture with this file."""

from cskg.query.stats import Stats
from cskg.web.catalogue import InstanceRow
from cskg.web.endpoint import FileAnswer
from cskg.web.pages import TermView

Stats.evidence_graphs  # noqa: B018 — a field of `cskg.api.stats()`'s answer
FileAnswer.background  # noqa: B018 — read by Starlette when it sends a response
TermView.href  # noqa: B018 — read by the page templates
InstanceRow.other_label  # noqa: B018 — read by instances.html
InstanceRow.section_href  # noqa: B018 — read by instances.html
