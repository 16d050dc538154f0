"""Disguised copies of a program, as a student who copies would make them: every name of their own
renamed, comments rewritten, messages reworded, blank lines moved. Used to measure --similarite."""

from __future__ import annotations

import builtins
import io
import keyword
import tokenize

_KEPT = set(dir(builtins)) | {"self", "cls"}


def disguise(source: str) -> str:
    """The same program under other names, comments, messages and layout."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    imported = {
        tokens[i + 1].string
        for i, token in enumerate(tokens[:-1])
        if token.type == tokenize.NAME and token.string in ("import", "as")
    }
    names: dict[str, str] = {}
    out = []
    previous = None
    for token in tokens:
        text = token.string
        if (
            token.type == tokenize.NAME
            and not keyword.iskeyword(text)
            and text not in _KEPT
            and text not in imported
            and not (previous is not None and previous.string == ".")
        ):
            text = names.setdefault(text, f"truc_{len(names)}")
        elif token.type == tokenize.COMMENT:
            text = "# (commentaire réécrit)"
        elif token.type == tokenize.STRING and not text.lstrip("rbfRBF").startswith(('"""', "'''")):
            text = text[:-1] + " " + text[-1] if len(text) > 2 else text
        out.append((token.type, text))
        previous = token
    return tokenize.untokenize(out).replace("\n\n", "\n\n\n")
