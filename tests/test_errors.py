"""One table says what each error means to the command line and to HTTP."""

from __future__ import annotations

import inspect

import searchkit.errors as errors


def test_every_error_class_has_its_outcome() -> None:
    classes = [obj for _, obj in inspect.getmembers(errors, inspect.isclass) if issubclass(obj, errors.SearchkitError)]
    assert len(classes) >= 10
    assert set(classes) == set(errors.OUTCOMES), "a new error needs its exit code and HTTP status"


def test_statuses_blame_the_request_only_for_its_own_mistakes() -> None:
    assert errors.http_status(errors.QueryError("q")) == 400
    assert errors.http_status(errors.PassageNotFoundError("p")) == 404
    assert errors.http_status(errors.SearchUnavailableError("s")) == 503
    assert errors.http_status(errors.IndexDamagedError("ix", "cut")) == 503
    assert all(errors.exit_code(cls.__new__(cls)) == 1 for cls in errors.OUTCOMES)

    class Newer(errors.IndexNotFoundError):
        pass

    assert errors.http_status(Newer("gone")) == 503  # the nearest class listed decides
