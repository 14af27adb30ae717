"""Rule labels of the session circuit: which rule each witness generator checks (diagnostics only).

While the circuit is built, :func:`mark` starts a labelled section (and
:func:`set_scope` prefixes the labels, e.g. ``"slot 2: "``); a witness that
breaks a rule then raises :class:`SessionRuleError` naming it. Labels do not
change the constraints: a plain ``CircuitBuilder`` ignores them.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuits.builder import CircuitBuilder
from circuits.generators import Generator
from circuits.witness import Target, Witness
from verifier.config import STANDARD_CONFIG, ProofConfig


class SessionRuleError(ValueError):
    """A session witness breaks a rule of the circuit; ``rule`` names the check that failed (when known)."""

    def __init__(self, rule: str | None, detail: str) -> None:
        super().__init__(f"{rule or 'session circuit'}: {detail}")
        self.rule = rule


class LabellingBuilder(CircuitBuilder):
    """A CircuitBuilder that remembers which rule each generator belongs to (for error messages only)."""

    def __init__(self, config: ProofConfig = STANDARD_CONFIG) -> None:
        super().__init__(config)
        self.sections: list[tuple[int, str]] = []
        self.scope = ""


def mark(b: CircuitBuilder, rule: str) -> None:
    """Start a labelled section: generators created from now on check ``rule`` (no effect on constraints)."""
    if isinstance(b, LabellingBuilder):
        b.sections.append((len(b.generators), b.scope + rule))


def set_scope(b: CircuitBuilder, scope: str) -> None:
    """Prefix the following labels (e.g. ``"slot 2: "``)."""
    if isinstance(b, LabellingBuilder):
        b.scope = scope


class Labelled(Generator):
    """Runs a generator; a failure is re-raised naming the rule it checks."""

    def __init__(self, inner: Generator, rule: str) -> None:
        self.inner = inner
        self.rule = rule

    def dependencies(self) -> Sequence[Target]:
        return self.inner.dependencies()

    def run(self, w: Witness) -> None:
        try:
            self.inner.run(w)
        except ValueError as exc:
            raise SessionRuleError(self.rule, str(exc)) from exc
