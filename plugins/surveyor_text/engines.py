"""The models behind ``analyze``, each loaded on its first need and only that part.

Loaded in the analysis process (``child.py``), in ``bench/text_eval.py`` and in tests,
never in a serving process. What each costs was measured for issue 17 (bench/README.md):
importing ``snownlp`` loads all its models (segmenter, tagger, pinyin, traditional →
simplified, sentiment: ~410 MB, ~5 s) and ``jieba.analyse`` loads jieba's part-of-speech
tagger and IDF table as a dict (~100 MB) — this module takes only what the analysis uses:

* ``vader``: VADER with the plugin's extra words — English text only;
* ``langid``: only for a non-Chinese comment of ≥ 25 letters (shorter ones are English
  whatever it says, ``analyze.detect_language``): langid's classifier, exactly, over its
  model packed for the languages kept, without numpy (``language``: ~7 MB, not ~63 MB);
* ``jieba``: jieba's tokenizer — Chinese text only — over its dictionary packed into
  arrays and without ``pkg_resources`` (``zh_words``: ~18 MB, not ~85 MB);
* ``zh_sentiment``: SnowNLP's sentiment, exactly (same probabilities): its segmenter
  (``snownlp.seg``, imported without the package's ``__init__``), its stop words and its
  naive-Bayes counts read from the shipped ``sentiment.marshal.3``;
* ``extract_tags``: jieba's TF-IDF key words, exactly (same words, same order), over the
  shipped ``idf.txt`` kept as one sorted string plus two arrays (~15 MB instead of a dict
  of 270,000 floats) and without jieba's part-of-speech tagger.
"""

from __future__ import annotations

import array
import gzip
import importlib
import importlib.machinery
import importlib.util
import marshal
import math
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from surveyor_text.packing import find_sorted, package_dir
from surveyor_text.segmenter import load_segmenter, snownlp_seg

# jieba.analyse.tfidf.KeywordExtractor.STOP_WORDS (0.42.1)
JIEBA_STOP_WORDS = frozenset(
    [
        "the",
        "of",
        "is",
        "and",
        "to",
        "in",
        "that",
        "we",
        "for",
        "an",
        "are",
        "by",
        "be",
        "as",
        "on",
        "with",
        "can",
        "if",
        "from",
        "which",
        "you",
        "it",
        "this",
        "then",
        "at",
        "have",
        "all",
        "not",
        "one",
        "has",
        "or",
    ]
)


def quietly(load: Callable[[], Any]) -> Any:
    # Old packages: jieba leaves files to the garbage collector and may import
    # pkg_resources; their warnings are theirs, not the caller's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load()


def load_vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from surveyor_text.lexicons import EN_LEXICON

    vader = SentimentIntensityAnalyzer()
    vader.lexicon.update(EN_LEXICON)
    return vader


def load_langid() -> Any:
    from surveyor_text.analyze import LANGUAGES
    from surveyor_text.language import load_identifier

    return load_identifier(LANGUAGES)


def load_jieba() -> Any:
    from surveyor_text.zh_words import load_tokenizer

    return quietly(load_tokenizer)


def bare_package(name: str, path: Path) -> None:
    """Register package ``name`` at ``path`` without running its ``__init__``."""
    if name in sys.modules:
        return
    package = types.ModuleType(name)
    package.__path__ = [str(path)]
    package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    package.__spec__.submodule_search_locations = [str(path)]
    sys.modules[name] = package


class ZhSentiment:
    """SnowNLP's ``SnowNLP(text).sentiments``: P(positive) by its naive Bayes."""

    def __init__(self) -> None:
        root = package_dir("snownlp")
        with gzip.open(root / "sentiment" / "sentiment.marshal.3", "rb") as handle:
            data = marshal.loads(handle.read())  # noqa: S302 (the package's own file)
        self.total = float(data["total"])
        self.classes = {k: (v["d"], float(v["total"]), v["none"]) for k, v in data["d"].items()}
        text = (root / "normal" / "stopwords.txt").read_text(encoding="utf-8")
        self.stop = {line.strip() for line in text.splitlines()}
        self.model = load_segmenter()

    def seg(self, text: str) -> list[str]:
        return snownlp_seg(self.model, text)

    def __call__(self, text: str) -> float:
        words = [w for w in self.seg(text) if w not in self.stop]
        scores = {}
        for name, (counts, total, none) in self.classes.items():
            score = math.log(total) - math.log(self.total)
            for word in words:
                score += math.log(float(counts.get(word, none)) / total)
            scores[name] = score
        # snownlp.classification.bayes.Bayes.classify, step for step (same floats)
        best, probability = "", 0.0
        for name in scores:
            try:
                now = 1 / sum(math.exp(scores[other] - scores[name]) for other in scores)
            except OverflowError:
                now = 0.0
            if now > probability:
                best, probability = name, now
        return probability if best == "pos" else 1 - probability


class IdfTable:
    """jieba's ``idf.txt`` as one sorted string and two arrays, looked up by bisection."""

    def __init__(self, path: Path) -> None:
        pairs = []
        for line in path.read_text(encoding="utf-8").splitlines():
            word, value = line.strip().split(" ")
            pairs.append((word, float(value)))
        # jieba keeps the last line of a word that occurs twice: so does this table.
        last = dict(pairs)
        del pairs
        values = sorted(last.values())
        self.median = values[len(values) // 2]  # jieba's IDFLoader.median_idf
        del values
        words = sorted(last)
        self.blob = "".join(words)
        self.starts = array.array("l", [0])
        for word in words:
            self.starts.append(self.starts[-1] + len(word))
        self.values = array.array("d", (last[w] for w in words))

    def get(self, word: str) -> float:
        found = find_sorted(self.blob, self.starts, len(self.values), word)
        return self.median if found < 0 else self.values[found]


def tfidf_extractor(jieba: Any) -> Callable[..., list[str]]:
    """``jieba.analyse.extract_tags(text, topK)`` over :class:`IdfTable` (``jieba``: the
    tokenizer of ``load_jieba``)."""
    table = IdfTable(package_dir("jieba") / "analyse" / "idf.txt")

    def extract_tags(sentence: str, topK: int = 20) -> list[str]:
        freq: dict[str, float] = {}
        for word in jieba.cut(sentence):
            if len(word.strip()) < 2 or word.lower() in JIEBA_STOP_WORDS:
                continue
            freq[word] = freq.get(word, 0.0) + 1.0
        total = sum(freq.values())
        for word in freq:
            freq[word] *= table.get(word) / total
        return sorted(freq, key=freq.__getitem__, reverse=True)[:topK]

    return extract_tags


class Models(Mapping[str, Any]):
    """The models by name (``analyze`` reads ``models["vader"]`` …), each loaded on first
    use, once per process, under a lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._loaded: dict[str, Any] = {"words": set()}
        self._loaders: dict[str, Callable[[], Any]] = {
            "vader": load_vader,
            "langid": load_langid,
            "jieba": load_jieba,
            "zh_sentiment": lambda: quietly(ZhSentiment),
            "extract_tags": lambda: tfidf_extractor(self["jieba"]),
        }

    def __getitem__(self, name: str) -> Any:
        found = self._loaded.get(name)
        if found is not None:
            return found
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._loaders[name]()
            return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(["words", *self._loaders])

    def __len__(self) -> int:
        return 1 + len(self._loaders)

    def loaded(self) -> list[str]:
        return sorted(self._loaded)

    def drop(self, names: Iterator[str] | list[str] | tuple[str, ...]) -> list[str]:
        """Forget the models ``names`` (loaded again on their next use); the words added
        to jieba go with it. Returns those that were loaded."""
        with self._lock:
            dropped = [name for name in names if self._loaded.pop(name, None) is not None]
            if "jieba" in dropped:
                self._loaded["words"] = set()
            return dropped


CHINESE = ("jieba", "zh_sentiment", "extract_tags")  # loaded by the first Chinese comment
