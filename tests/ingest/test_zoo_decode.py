"""The generative zoo models decode end to end from their published builds: ingest the LLM (prompt processor + token
generator), Whisper (encoder + KV-cache decoder) and Opus-MT (the same) at tiny size, pull each build's files from
the catalog as `registry pull` does, run the greedy loop of ``ingest.zoo.decode`` through onnxruntime with the
shapes from the model card, and compare with transformers' own forward pass, token for token."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from ingest.executor import SerialExecutor
from ingest.pipeline import IngestOptions, ingest_many
from ingest.recipe import load_recipe
from ingest.zoo import llama_kv, opus_mt, whisper_kv
from ingest.zoo.decode import LlmLayout, Seq2SeqLayout, agreement, llm_generate, ort_runners, seq2seq_generate
from ingest.zoo_pipeline import prepare_recipes
from registry.embedded import EmbeddedCatalog
from registry.service.catalog import show_model
from registry.service.resolve import resolve
from tests.ingest.zoo_fixture import make_local

os.environ.setdefault("HF_HUB_OFFLINE", "1")
RECIPES = Path(__file__).resolve().parents[2] / "ingest" / "recipes"
SLUGS = ("tiny-llama-kv", "whisper-tiny-kv", "tiny-opus-mt")
NEW_TOKENS = 6


def _tiny_recipe(slug: str, folder: Path) -> Path:
    body = yaml.safe_load((RECIPES / f"{slug}.yaml").read_text())
    body.update(size="tiny", precisions=["float", "w8a8"], calibration_samples=8, eval_samples=4)
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def _pull(local: EmbeddedCatalog, slug: str, precision: str, dest: Path) -> dict[str, Path]:
    """The build's files, copied (digest-checked) from the blob store: the ONNX file of each component."""
    with local.session() as s:
        build = resolve(s, slug, "sd8g3", precision).build
    onnx: dict[str, Path] = {}
    for f in build.files:
        target = dest / precision / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        local.store.copy_to(f.sha256, target, verify=True)
        if target.suffix == ".onnx":
            onnx[f.component or "model"] = target
    return onnx


def _cases(slug: str) -> tuple[Any, list[Any]]:
    """(the loop over a build's runners, the transformers references) for a few inputs of each model."""
    if slug == "tiny-llama-kv":
        llama = llama_kv.build("tiny").components[0].module.llama
        prompts = [llama_kv.encode(t) for t in ("Edge models run on phones.", "A long prompt " * 4)]

        def llm(runners: Any, card: dict[str, Any], prompt: list[int]) -> list[int]:
            return llm_generate(runners, LlmLayout.from_card(card), prompt, NEW_TOKENS)

        return llm, [(p, llama_kv.reference_generate(llama, p, NEW_TOKENS, llama.config.eos_token_id)) for p in prompts]
    if slug == "whisper-tiny-kv":
        model = whisper_kv.build("tiny")
        whisper = model.components[0].module.whisper
        clips = model.eval_inputs("encoder", 3)
        start, eos = list(model.card["generation"]["start_ids"]), model.card["generation"]["eos_id"]
        refs = [whisper_kv.reference_generate(whisper, c["input_features"], start, NEW_TOKENS, eos) for c in clips]
    else:
        model = opus_mt.build("tiny")
        marian = model.components[0].module.marian
        clips = model.eval_inputs("encoder", 3)
        start, eos = list(model.card["generation"]["start_ids"]), model.card["generation"]["eos_id"]
        refs = [opus_mt.reference_generate(marian, c, start, NEW_TOKENS, eos) for c in clips]

    def s2s(runners: Any, card: dict[str, Any], inputs: dict[str, np.ndarray]) -> list[int]:
        return seq2seq_generate(runners, Seq2SeqLayout.from_card(card), inputs, NEW_TOKENS)

    return s2s, list(zip(clips, refs, strict=True))


@pytest.mark.usefixtures("registry_home")
def test_published_generative_builds_decode_token_for_token_like_transformers(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = make_local(sqlite_url, tmp_path)
    recipes = [load_recipe(_tiny_recipe(slug, tmp_path)) for slug in SLUGS]
    reports = ingest_many(
        prepare_recipes(recipes, tmp_path / "work"),
        local,
        tmp_path / "work",
        IngestOptions(profile_runs=3, record_mlflow=False),
        executor=SerialExecutor(),
    )
    assert [r.status for r in reports] == ["succeeded"] * 3, [r.builds for r in reports]

    for slug in SLUGS:
        with local.session() as s:
            detail = show_model(s, slug)
        card = detail.model.card
        loop, cases = _cases(slug)
        components = set(card["components"])
        assert len(components) == 2
        assert any(len(set(ref)) > 1 or ref != cases[0][1] for _, ref in cases)  # inputs change what is generated
        for precision in ("float", "w8a8"):
            runners = ort_runners(_pull(local, slug, precision, tmp_path / slug))
            assert set(runners) == components
            got = [loop(runners, card, inputs) for inputs, _ in cases]
            refs = [ref for _, ref in cases]
            if precision == "float":
                assert got == refs, slug  # the published FP32 build generates exactly what transformers does
            else:
                share = float(np.mean([agreement(r, g) for r, g in zip(refs, got, strict=True)]))
                with capsys.disabled():
                    print(f"\n{slug} w8a8 greedy agreement with FP32 torch: {share:.2f}")
                assert all(len(g) == NEW_TOKENS or g[-1] == card["generation"]["eos_id"] for g in got)
            build = next(b for b in detail.builds if b.precision == precision and b.runtime == "onnx")
            host = {b.component for b in build.benchmarks if b.provenance == "measured-host"}
            assert host == components  # host latency per component (the UI adds them up for the total)
            if precision != "float":
                cosine = {e.component: e.value for e in build.evaluations if e.metric == "cosine"}
                assert set(cosine) == components and all(v > 0.5 for v in cosine.values()), cosine


def test_the_loop_masks_unfilled_cache_slots_and_stops_at_a_full_context() -> None:
    from ingest.zoo.decode import MASK_VALUE, attention_mask

    mask = attention_mask(filled=2, past=4, new=2)  # 2 of 4 cache slots filled, 2 new tokens
    seen = (mask[0, 0] == 0).tolist()
    assert seen == [[True, True, False, False, True, False], [True, True, False, False, True, True]]
    assert mask.min() == MASK_VALUE
    layout = LlmLayout(context_length=8, prompt_length=4, layers=1, kv_heads=1, head_dim=2, pad_id=0, eos_id=None)
    calls: list[tuple[int, int]] = []

    def component(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        width = feed["input_ids"].shape[1]
        calls.append((width, int(feed["position_ids"][0, 0])))
        logits = np.zeros((1, width, 5), np.float32)
        logits[..., 3] = 1.0
        cache = np.ones((1, 1, width, 2), np.float32)
        return {"logits": logits, "past_key_0_out": cache, "past_value_0_out": cache}

    tokens = llm_generate({"prompt_processor": component, "token_generator": component}, layout, [1, 2, 3], 50)
    assert tokens == [3] * 5  # 3 prompt tokens + 4 generated fill the 7 cache slots; the 5th is the last
    assert calls == [(4, 0), (1, 3), (1, 4), (1, 5), (1, 6)]
