"""HTTP content negotiation (RFC 9110 §12.5.1), the one rule for the endpoint and the pages;
and the language of the pages (`Accept-Language`, RFC 9110 §12.5.4).

A variant is one representation the server can send, known by several media types (its own and
the aliases clients use for it). Its quality is the q of the most specific media range in
`Accept` that matches any of its media types (`type/subtype` over `type/*` over `*/*`), so
`text/html;q=0, */*` excludes HTML however many names HTML has. A variant with quality 0 is
never chosen; among the rest the highest quality wins and ties go to the server's order.
"""

from __future__ import annotations

from collections.abc import Sequence

#: (variant name, its media types): the server's offer, in its order of preference
Offer = Sequence[tuple[str, Sequence[str]]]


def _weighted(header: str) -> list[tuple[str, float]]:
    """A comma-separated list of `token;q=…` (Accept, Accept-Language) as (token, q) pairs,
    lower-cased; a q that is not a number is 0 (the element is then refused)."""
    pairs = []
    for part in header.split(","):
        token, *params = (field.strip() for field in part.split(";"))
        if not token:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        pairs.append((token.lower(), q))
    return pairs


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """`Accept` as (media range, q) pairs, lower-cased; no header or an empty one is `*/*`."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    # a bare `*` is seen in the wild for */*
    return [("*/*" if media == "*" else media, q) for media, q in _weighted(header)]


def _specificity(accepted: str, media: str) -> int:
    """2 for an exact match, 1 for `type/*`, 0 for `*/*`, -1 for no match."""
    if accepted == media:
        return 2
    if accepted == "*/*":
        return 0
    if accepted.endswith("/*") and media.startswith(accepted[:-1]):
        return 1
    return -1


def quality(ranges: list[tuple[str, float]], media_types: Sequence[str]) -> float:
    """The quality of a variant known by `media_types` under the parsed `Accept` ranges."""
    best_level, best_q = -1, 0.0
    for accepted, q in ranges:
        level = max(_specificity(accepted, media) for media in media_types)
        if level > best_level:
            best_level, best_q = level, q
        elif level == best_level and level >= 0:
            best_q = max(best_q, q)
    return best_q if best_level >= 0 else 0.0


def ranked(header: str | None, offer: Offer) -> list[str]:
    """The acceptable variants, best first (ties in the server's order)."""
    ranges = parse_accept(header)
    scored = [(quality(ranges, types), index, name) for index, (name, types) in enumerate(offer)]
    return [name for q, _, name in sorted(scored, key=lambda s: (-s[0], s[1])) if q > 0]


def negotiate(header: str | None, offer: Offer) -> str | None:
    """The variant the client prefers, or None when it accepts none of them."""
    choices = ranked(header, offer)
    return choices[0] if choices else None


def language(header: str | None, offered: Sequence[str]) -> str:
    """The language of `offered` that `Accept-Language` prefers (RFC 9110 §12.5.4, with the
    basic filtering of RFC 4647 §3.3.1: `zh` matches `zh-CN` and `zh-Hans-CN`, `*` any); the
    first offered language when the header names none of them or is absent."""
    best, best_q = offered[0], 0.0
    for tag in offered:
        q = max(
            (q for lang_range, q in _weighted(header or "") if _covers(lang_range, tag)),
            default=0.0,
        )
        if q > best_q:  # ties keep the earlier, the server's preference
            best, best_q = tag, q
    return best


def _covers(lang_range: str, tag: str) -> bool:
    """Whether a language range of the header matches the offered tag: the range is the tag or a
    more specific tag of the same language (`zh-cn` for `zh`), or `*`."""
    return lang_range in ("*", tag) or lang_range.startswith(tag + "-")
