"""`--junit`: JUnit XML, one <testsuite> per submission and one <testcase> per check.

A failed check is a <failure>, a check skipped because a prerequisite failed is <skipped>, and so is a
bonus the submission did not attempt (its reason as the message: a 20/20 shows no failure); a grader
error is an <error>; a submission that could not be graded at all has one <testcase name="correction">
with an <error>. The grade is a <property name="note">. CI systems (GitLab, Jenkins...) read this.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.exports.common import clean_text, headline, student_label
from grader.formats import dot_number
from grader.model import CheckResult, Status, SubmissionReport

SUITES_NAME = "Serveur de chat"
_CHILD_TAG = {Status.FAILED: "failure", Status.SKIPPED: "skipped", Status.ERROR: "error"}


def _case(suite: ET.Element, classname: str, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")


def _outcome(case: ET.Element, tag: str, message: str) -> None:
    child = ET.SubElement(case, tag, message=clean_text(headline(message)))
    child.text = clean_text(message)


def _tag(result: CheckResult) -> str | None:
    return "skipped" if result.bonus_not_tried else _CHILD_TAG.get(result.status)


def _add_result(suite: ET.Element, classname: str, result: CheckResult) -> None:
    case = _case(suite, classname, f"{result.spec.id} {result.spec.title}", result.duration_s)
    tag = _tag(result)
    if tag:
        _outcome(case, tag, result.message or result.spec.title)


def _suite(parent: ET.Element, report: SubmissionReport) -> dict[str, int]:
    label = clean_text(student_label(report))
    suite = ET.SubElement(parent, "testsuite", name=label, time=f"{report.duration_s:.3f}")
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("note", dot_number(report.note)),
        ("bonus", dot_number(report.bonus)),
        ("soumission", clean_text(report.submission)),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    if report.selection:
        ET.SubElement(properties, "property", name="note_partielle", value=report.partial_note())
    if report.fatal_error:
        _outcome(_case(suite, label, "correction", report.duration_s), "error", report.fatal_error)
    for result in report.results:
        _add_result(suite, f"{label}.{result.spec.category.value}", result)
    counts = {
        "tests": len(report.results) + (1 if report.fatal_error else 0),
        "failures": sum(_tag(r) == "failure" for r in report.results),
        "errors": sum(_tag(r) == "error" for r in report.results) + (1 if report.fatal_error else 0),
        "skipped": sum(_tag(r) == "skipped" for r in report.results),
    }
    for key, count in counts.items():
        suite.set(key, str(count))
    return counts


def render(reports: list[SubmissionReport]) -> str:
    root = ET.Element("testsuites", name=SUITES_NAME)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        for key, value in _suite(root, report).items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{sum(r.duration_s for r in reports):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
