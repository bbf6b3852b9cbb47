"""Who may publish: the owners listed in `policy.owners`, and the checks that enforce it.

An owner's decision is a `review:` block in a question file, and anyone can type one into a
pull request. Two checks keep publishing with the owners:
- a decision counts only when its `by:` names an owner (`standing.standing`), and a build
  warns about one that does not (`decision_problems`);
- the pull-request check fails a change to a `review:` block, or to the owners list itself,
  made by an author who is not an owner of the base branch (`review_changes`), since `by:`
  is only text that anyone can write.
`.github/CODEOWNERS` (written by `sovereign codeowners`) asks GitHub for an owner's approval
of the files that decide what is published.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from generator.drafting.models import Question
from generator.inputs.settings import SETTINGS_FILE
from generator.inputs.yamlsrc import LoadedYaml, Problem, YamlError, parse_yaml, read_yaml
from generator.publishing.gitdiff import GitError, changed_paths, file_at, merge_base

CODEOWNERS = ".github/CODEOWNERS"


def normal(name: str) -> str:
    """A name as owners are compared: GitHub logins ignore case and the leading '@'."""
    return name.strip().lstrip("@").casefold()


def is_owner(name: str | None, owners: Iterable[str]) -> bool:
    return bool(name) and normal(name or "") in {normal(o) for o in owners}


def listed(owners: Sequence[str]) -> str:
    """The owners as a message names them."""
    return ", ".join(owners) if owners else "none listed"


def decision_problems(
    root: Path, questions: Iterable[Question], owners: Sequence[str]
) -> list[Problem]:
    """A warning for each decision whose `by:` is not an owner: the build ignores it."""
    found = []
    for q in questions:
        if q.review is None or is_owner(q.review.by, owners):
            continue
        line = read_yaml(root / q.path, q.path).line_of(("review", "by"))
        found.append(
            Problem(
                q.path,
                line,
                "review.by",
                f"{q.review.by!r} is not an owner (policy.owners in {SETTINGS_FILE}: "
                f"{listed(owners)}), so this decision is ignored",
            )
        )
    return found


def _yaml_at(root: Path, rev: str, path: str | None) -> LoadedYaml:
    """A YAML file as it is at `rev` (empty when absent or unreadable)."""
    text = file_at(root, rev, path) if path else None
    if text is None:
        return LoadedYaml(None)
    try:
        return parse_yaml(text, path or "")
    except YamlError:
        return LoadedYaml(None)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _owners_in(loaded: LoadedYaml) -> tuple[str, ...]:
    owners = _get(loaded.data, "policy", "owners")
    return tuple(str(o) for o in owners) if isinstance(owners, list) else ()


def review_changes(root: Path, fork: str, folder: str) -> list[Problem]:
    """Each `review:` block, and the owners list, that differs between `fork` and HEAD."""
    found = []
    for old, new in changed_paths(root, fork, [folder]):
        before, after = _yaml_at(root, fork, old), _yaml_at(root, "HEAD", new)
        was, now = _get(before.data, "review"), _get(after.data, "review")
        if was == now:
            continue
        what = "added" if was is None else ("removed" if now is None else "changed")
        line = after.line_of(("review",)) if now is not None else None
        found.append(Problem(new or old or "", line, "review", f"owner decision {what}"))
    before, after = _yaml_at(root, fork, SETTINGS_FILE), _yaml_at(root, "HEAD", SETTINGS_FILE)
    if _owners_in(before) != _owners_in(after):
        found.append(
            Problem(
                SETTINGS_FILE,
                after.line_of(("policy", "owners")),
                "policy.owners",
                f"owners changed from [{listed(_owners_in(before))}] to "
                f"[{listed(_owners_in(after))}]",
            )
        )
    return found


def unauthorised_changes(root: Path, base: str, folder: str, author: str | None) -> list[Problem]:
    """The pull-request check: every decision or owners change whose author is no owner."""
    try:
        fork = merge_base(root, base)
        # the owners as the base branch lists them: a pull request cannot add its own author
        owners = _owners_in(_yaml_at(root, fork, SETTINGS_FILE))
        changes = review_changes(root, fork, folder)
    except GitError as exc:
        return [Problem(SETTINGS_FILE, None, "", f"cannot check who changed decisions: {exc}")]
    if not changes or is_owner(author, owners):
        return []
    who = repr(author) if author else "an unknown author (pass --author or set PR_AUTHOR)"
    return [
        Problem(
            c.path,
            c.line,
            c.field,
            f"{c.message} by {who}, who is not an owner (policy.owners on the base branch: "
            f"{listed(owners)}). Only an owner records decisions: take this change out of the "
            "pull request and ask an owner to review the draft (`sovereign review` prints the "
            "block they paste).",
        )
        for c in changes
    ]


def codeowners(owners: Sequence[str], questions: str) -> str:
    """`.github/CODEOWNERS`: the owners must approve changes to what decides publication."""
    handles = " ".join(f"@{o.lstrip('@')}" for o in owners)
    lines = [
        f"# Written by `sovereign codeowners` from policy.owners in {SETTINGS_FILE}: edit the",
        "# owners there and run it again. With branch protection's \"Require review from Code",
        "# Owners\", a pull request changing these paths needs an owner's approval to merge.",
    ]
    if not owners:
        lines.append("# policy.owners is empty: no path has an owner.")
        return "\n".join(lines) + "\n"
    for path in (f"/{questions.strip('/')}/", f"/{SETTINGS_FILE}", "/.github/"):
        lines.append(f"{path} {handles}")
    return "\n".join(lines) + "\n"
