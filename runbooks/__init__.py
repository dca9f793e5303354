"""The runbook library: Markdown files with front matter, one per alert.

``library/`` holds curated runbooks (it carries a ``.curated`` marker: the runbook tool reads it but
writes generated runbooks to ``REFERENT_RUNBOOKS_DIR`` or ``REFERENT_STATE_DIR/runbooks`` instead, see
:mod:`tools.runbook_library`); all are served by the API at ``/runbooks/<AlertName>``, the stable URL to
put in an alert rule's ``runbook_url`` annotation. ``reference/`` holds five real runbooks (Apache-2.0,
see ``reference/SOURCE.md``) in the Meaning / Impact / Diagnosis / Mitigation shape.
"""

from pathlib import Path

LIBRARY_DIR = Path(__file__).parent / "library"
REFERENCE_DIR = Path(__file__).parent / "reference"
