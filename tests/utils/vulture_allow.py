"""Names that are used where vulture cannot see it (read by a framework, a template or the
users of the Python API); `tests/test_architecture.py` runs vulture with this file."""

from cskg.build.cluster import PartsPlugin
from cskg.build.memory import PeakMemory
from cskg.build.pipeline import BuildResult
from cskg.build.report import ValidationReport
from cskg.query.describe import Description
from cskg.query.model import Result
from cskg.query.stats import Stats
from cskg.web.catalogue import InstanceRow
from cskg.web.endpoint import FileAnswer
from cskg.web.pages import TermView

Stats.evidence_graphs  # noqa: B018 — a field of `cskg.api.stats()`'s answer
FileAnswer.background  # noqa: B018 — read by Starlette when it sends a response
PartsPlugin.setup  # noqa: B018 — called by each Dask worker the plugin reaches
PeakMemory.sampler_seconds  # noqa: B018 — the sampler's own cost, for whoever measures it
TermView.href  # noqa: B018 — read by the page templates
InstanceRow.other_label  # noqa: B018 — read by instances.html
InstanceRow.section_href  # noqa: B018 — read by instances.html
# shown by Jupyter: a notebook renders an object as the HTML its `_repr_html_` returns
Result._repr_html_  # noqa: B018
Description._repr_html_  # noqa: B018
ValidationReport._repr_html_  # noqa: B018
Stats._repr_html_  # noqa: B018
BuildResult._repr_html_  # noqa: B018
