"""Accuracy and speed of the surveyor_text analysis on the labelled set in bench/text/.

    .venv/bin/python bench/text_eval.py [--baseline]

Reports, per language: sentiment accuracy and macro-F1 (negative / neutral / positive),
theme assignment as multi-label (exact-set accuracy, macro-F1 over the themes, micro
precision and recall), and comments analysed per second on one core (one process, one
thread, models already loaded). ``--baseline`` also scores the libraries alone (VADER
and SnowNLP without the Chinese lexicon correction) for comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from surveyor_text import analyze  # noqa: E402

LABELS = ("negative", "neutral", "positive")


def load(language: str) -> list[tuple[str, set[str], str]]:
    rows = []
    path = ROOT / "bench" / "text" / f"{language}.tsv"
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip():
            continue
        sentiment, themes, text = line.split("\t")
        rows.append((sentiment, {t for t in themes.split(";") if t}, text))
    return rows


def f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def sentiment_scores(gold: list[str], got: list[str]) -> tuple[float, float]:
    accuracy = sum(g == p for g, p in zip(gold, got, strict=True)) / len(gold)
    per_label = []
    for label in LABELS:
        tp = sum(g == label and p == label for g, p in zip(gold, got, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, got, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, got, strict=True))
        per_label.append(f1(tp, fp, fn))
    return accuracy, sum(per_label) / len(per_label)


def theme_scores(gold: list[set[str]], got: list[set[str]], names: list[str]) -> dict[str, float]:
    exact = sum(g == p for g, p in zip(gold, got, strict=True)) / len(gold)
    per_theme = []
    tp_all = fp_all = fn_all = 0
    for name in names:
        tp = sum(name in g and name in p for g, p in zip(gold, got, strict=True))
        fp = sum(name not in g and name in p for g, p in zip(gold, got, strict=True))
        fn = sum(name in g and name not in p for g, p in zip(gold, got, strict=True))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        if tp + fp + fn:
            per_theme.append(f1(tp, fp, fn))
    return {
        "exact": exact,
        "macro_f1": sum(per_theme) / len(per_theme),
        "precision": tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0,
        "recall": tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0,
    }


def baseline_label(text: str, language: str, models: dict[str, object]) -> str:
    if language == "zh":
        score = 2 * float(models["zh_sentiment"](text)) - 1  # type: ignore[operator]
        band = analyze.ZH_NEUTRAL_BAND
    else:
        score = float(models["plain_vader"].polarity_scores(text)["compound"])  # type: ignore[attr-defined]
        band = analyze.POSITIVE_AT
    return analyze._label(score, band)


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    themes = analyze.default_themes()
    dictionary = analyze.Dictionary(themes)
    names = [t.name for t in themes]
    models = analyze.MODELS.get()
    print(f"# surveyor_text evaluation, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"# process RSS before any model: {rss_mb():.0f} MB")
    # Models load on first need: the first comment of each language pays for its own.
    for language in ("en", "zh"):
        rows = load(language)
        longest = max((text for _, _, text in rows), key=len)  # ≥ 25 letters: loads langid
        before, started = rss_mb(), time.perf_counter()
        analyze.analyze(longest, dictionary, models)
        print(
            f"# {language} models loaded in {time.perf_counter() - started:.1f} s, "
            f"+{rss_mb() - before:.0f} MB RSS (now {rss_mb():.0f} MB)"
        )
    if args.baseline:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        plain = SentimentIntensityAnalyzer()  # without EN_LEXICON
        models = {"plain_vader": plain, **{k: models[k] for k in models}}
    for language in ("en", "zh"):
        rows = load(language)
        began = time.perf_counter()
        results = [analyze.analyze(text, dictionary, models) for _, _, text in rows]
        seconds = time.perf_counter() - began
        gold_sentiment = [r[0] for r in rows]
        accuracy, macro = sentiment_scores(gold_sentiment, [r.label for r in results])
        themes_found = theme_scores([r[1] for r in rows], [set(r.themes) for r in results], names)
        detected = sum(r.language == language for r in results) / len(rows)
        print(f"\n## {language}: {len(rows)} comments")
        print(f"language detected correctly: {detected:.1%}")
        print(f"sentiment: accuracy {accuracy:.1%}, macro-F1 {macro:.3f}")
        print(
            f"themes: exact set {themes_found['exact']:.1%}, macro-F1 "
            f"{themes_found['macro_f1']:.3f}, micro precision {themes_found['precision']:.1%}, "
            f"recall {themes_found['recall']:.1%}"
        )
        print(f"speed: {len(rows) / seconds:.0f} comments/s on one core")
        if args.baseline:
            base = [baseline_label(text, language, models) for _, _, text in rows]
            accuracy, macro = sentiment_scores(gold_sentiment, base)
            library = "SnowNLP alone" if language == "zh" else "VADER alone"
            print(f"baseline ({library}): accuracy {accuracy:.1%}, macro-F1 {macro:.3f}")
        confusion: dict[tuple[str, str], int] = {}
        for gold, result in zip(gold_sentiment, results, strict=True):
            confusion[(gold, result.label)] = confusion.get((gold, result.label), 0) + 1
        print(
            "confusion (gold → got): "
            + ", ".join(f"{g[:3]}→{p[:3]} {n}" for (g, p), n in sorted(confusion.items()) if g != p)
        )


if __name__ == "__main__":
    main()
