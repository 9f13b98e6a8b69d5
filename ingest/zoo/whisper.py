"""Whisper-tiny speech recognition as two components, from a transformers WhisperConfig (random weights).

- ``encoder``: ``input_features`` [1, 80, frames] (log-mel) -> ``last_hidden_state`` [1, frames / 2, d_model];
- ``decoder``: ``decoder_input_ids`` [1, dec_len] (int64) + ``encoder_hidden_states`` -> ``logits``
  [1, dec_len, vocab], one pass without a KV cache.

Calibration audio is synthetic (tones, chirps, noise, mixtures), turned into log-mel features by Whisper's own
feature extractor (numpy STFT and mel filter bank, built from its defaults: nothing is downloaded). Decoder
calibration pairs token prompts with the FP32 torch encoder's output for that audio (kept on disk by content, so a
re-ingest does not recompute it)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ingest.zoo.base import ALL_PRECISIONS, Component, Inputs, ZooModel, check_size, zoo_cache_dir
from ingest.zoo.text import hashed_token_ids, split_sentences
from registry import atomic

SAMPLE_RATE = 16000
CONFIGS: dict[str, dict[str, int]] = {
    # whisper-tiny: d_model 384, 4 + 4 layers, 6 heads, 80 mel bins, 30 s = 3000 frames, vocab 51865.
    "default": {
        "d_model": 384,
        "encoder_layers": 4,
        "decoder_layers": 4,
        "heads": 6,
        "ffn_dim": 1536,
        "vocab_size": 51865,
        "chunk_seconds": 30,
        "dec_len": 32,
    },
    "tiny": {
        "d_model": 64,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "heads": 2,
        "ffn_dim": 128,
        "vocab_size": 1000,
        "chunk_seconds": 2,
        "dec_len": 8,
    },
}
# whisper's <|startoftranscript|><|en|><|transcribe|><|notimestamps|>, mapped into small vocabularies.
PROMPT = (50258, 50259, 50359, 50363)
EOT = 50257
SEED = 0


def synthetic_audio(index: int, seconds: float) -> np.ndarray:
    """Deterministic test audio: tone, chirp, noise, tone pair with vibrato, or noise bursts, by ``index``."""
    rng = np.random.default_rng(1000 + index)
    n = int(seconds * SAMPLE_RATE)
    length = int(n * rng.uniform(0.4, 1.0))  # Whisper pads shorter clips with silence
    t = np.arange(length) / SAMPLE_RATE
    kind = index % 5
    if kind == 0:
        wave = np.sin(2 * np.pi * rng.uniform(110, 2000) * t)
    elif kind == 1:
        f0, f1 = rng.uniform(100, 500), rng.uniform(1500, 6000)
        wave = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * max(t[-1], 1e-3))))
    elif kind == 2:
        wave = rng.standard_normal(length)
        wave = np.convolve(wave, np.ones(rng.integers(1, 16)) / 8, mode="same")
    elif kind == 3:
        f = rng.uniform(150, 400)
        vibrato = 5 * np.sin(2 * np.pi * 5 * t)
        wave = np.sin(2 * np.pi * (f + vibrato) * t) + 0.5 * np.sin(2 * np.pi * 2 * f * t)
    else:
        envelope = (np.sin(2 * np.pi * rng.uniform(1, 4) * t) > 0.3).astype(np.float64)
        wave = envelope * rng.standard_normal(length)
    wave = wave / (np.abs(wave).max() + 1e-9) * rng.uniform(0.05, 0.9)
    out = np.zeros(n, dtype=np.float32)
    out[:length] = wave
    return out


def _components(whisper: Any) -> tuple[Any, Any]:
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = whisper.model.encoder

        def forward(self, input_features: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.encoder(input_features=input_features).last_hidden_state
            return hidden

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.decoder = whisper.model.decoder
            self.proj_out = whisper.proj_out

        def forward(self, decoder_input_ids: torch.Tensor, encoder_hidden_states: torch.Tensor) -> torch.Tensor:
            hidden = self.decoder(
                input_ids=decoder_input_ids, encoder_hidden_states=encoder_hidden_states, use_cache=False
            ).last_hidden_state
            logits: torch.Tensor = self.proj_out(hidden)
            return logits

    return Encoder().eval(), Decoder().eval()


def _encoder_outputs(encoder: Any, feats: list[np.ndarray]) -> list[np.ndarray]:
    """The FP32 encoder's output for each feature array (the decoder's calibration and evaluation inputs). They
    are kept on disk under ``REGISTRY_HOME/ingest/zoo``, keyed by the encoder's content (architecture and weights),
    the inputs' bytes and torch's version, so a re-ingest does not run the encoder again (4-5 s of the whole zoo's
    cached re-ingest); an unreadable cache file is recomputed."""
    import hashlib

    import torch

    from ingest.zoo_pipeline import module_digest

    h = hashlib.sha256(f"{module_digest(encoder)}{torch.__version__}".encode())
    for f in feats:
        h.update(f"{f.dtype}{f.shape}".encode())
        h.update(np.ascontiguousarray(f).tobytes())
    root = zoo_cache_dir()
    path = root / f"whisper-encoder-{h.hexdigest()[:24]}.npy" if root is not None else None
    if path is not None and path.is_file():
        try:
            cached = np.load(path, allow_pickle=False)
            if cached.shape[0] == len(feats):
                return [cached[i : i + 1] for i in range(len(feats))]
        except (OSError, ValueError):
            pass
    with torch.no_grad():
        out = [encoder(torch.from_numpy(f)).numpy() for f in feats]
    if path is not None and out:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic.replacing(path) as tmp, tmp.open("wb") as fh:
                np.save(fh, np.concatenate(out), allow_pickle=False)
        except OSError:
            pass
    return out


def build(size: str = "default") -> ZooModel:
    check_size(size, CONFIGS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    c = CONFIGS[size]
    frames = c["chunk_seconds"] * SAMPLE_RATE // 160
    vocab = c["vocab_size"]
    prompt = [t % vocab for t in PROMPT]
    eot = EOT % vocab
    config = WhisperConfig(
        vocab_size=vocab,
        num_mel_bins=80,
        d_model=c["d_model"],
        encoder_layers=c["encoder_layers"],
        decoder_layers=c["decoder_layers"],
        encoder_attention_heads=c["heads"],
        decoder_attention_heads=c["heads"],
        encoder_ffn_dim=c["ffn_dim"],
        decoder_ffn_dim=c["ffn_dim"],
        max_source_positions=frames // 2,
        max_target_positions=max(448, c["dec_len"]),
        decoder_start_token_id=prompt[0],
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
    )
    torch.manual_seed(SEED)
    whisper: Any = WhisperForConditionalGeneration(config)
    whisper.eval()
    encoder, decoder = _components(whisper)
    extractor: Any = WhisperFeatureExtractor(  # type: ignore[no-untyped-call]
        feature_size=80, sampling_rate=SAMPLE_RATE, chunk_length=c["chunk_seconds"]
    )

    def features(index: int) -> np.ndarray:
        audio = synthetic_audio(index, c["chunk_seconds"])
        out = extractor(audio, sampling_rate=SAMPLE_RATE, return_tensors="np")
        return np.asarray(out["input_features"], dtype=np.float32)

    def tokens(text: str) -> np.ndarray:
        ids, _ = hashed_token_ids(text, vocab_size=min(vocab, 50257), length=c["dec_len"] - len(prompt), pad=eot)
        return np.concatenate([np.asarray([prompt], dtype=np.int64), ids], axis=1)

    def samples(component_name: str, n: int, offset: int, part: str) -> list[Inputs]:
        feats = [features(offset + i) for i in range(n)]
        if component_name == "encoder":
            return [{"input_features": f} for f in feats]
        if component_name != "decoder":
            raise KeyError(f"whisper-tiny has components 'encoder' and 'decoder', not {component_name!r}")
        hidden = _encoder_outputs(encoder, feats)
        texts = split_sentences(part, n)
        return [
            {"decoder_input_ids": tokens(text), "encoder_hidden_states": h}
            for h, text in zip(hidden, texts, strict=True)
        ]

    first = features(0)
    with torch.no_grad():
        first_hidden = encoder(torch.from_numpy(first))
    components = [
        Component(
            name="encoder",
            module=encoder,
            example_inputs={"input_features": torch.from_numpy(first)},
            output_names=["last_hidden_state"],
        ),
        Component(
            name="decoder",
            module=decoder,
            example_inputs={
                "decoder_input_ids": torch.from_numpy(tokens("An example prompt.")),
                "encoder_hidden_states": first_hidden,
            },
            output_names=["logits"],
        ),
    ]
    params = sum(p.numel() for p in whisper.parameters())
    return ZooModel(
        slug="whisper-tiny",
        name="Whisper tiny (random weights)",
        task="automatic-speech-recognition",
        domain="audio",
        license="apache-2.0",
        source_url="https://huggingface.co/openai/whisper-tiny",
        description=(
            f"Whisper encoder-decoder with the whisper-tiny shape (d_model {c['d_model']}, "
            f"{c['encoder_layers']}+{c['decoder_layers']} layers, {frames} mel frames, "
            f"{params / 1e6:.1f}M parameters) and random weights, as encoder and decoder components."
        ),
        weights="random",
        components=components,
        calibration=lambda name, n: samples(name, n, 0, "calibration"),
        eval_inputs=lambda name, n: samples(name, n, 10_000, "eval"),
        card={
            "weights": "random: the whisper-tiny architecture initialized from a fixed seed, not trained; it "
            "transcribes nothing, builds are judged by fidelity to FP32 only",
            "architecture": {**c, "mel_bins": 80, "frames": frames, "parameters": params},
            "components": {
                "encoder": {"inputs": {"input_features": [1, 80, frames]}, "outputs": ["last_hidden_state"]},
                "decoder": {
                    "inputs": {
                        "decoder_input_ids": [1, c["dec_len"]],
                        "encoder_hidden_states": [1, frames // 2, c["d_model"]],
                    },
                    "outputs": {"logits": [1, c["dec_len"], vocab]},
                    "kv_cache": "none: one pass over a fixed-length token prefix",
                },
            },
            "calibration_data": "synthetic audio (tones, chirps, noise, vibrato, bursts) -> Whisper log-mel "
            "features; decoder prompts are word hashes of bundled sentences after Whisper's task tokens",
            "seed": SEED,
        },
        task_metric=None,
        # no w4a16: the decoder's token embedding (tied to proj_out, a Gather) holds most of its weights, so
        # MatMulNBits would leave the decoder mostly float (ingest.optimize refuses it below a 50% MatMul share)
        supported_precisions=ALL_PRECISIONS,  # w4a16 measured: see docs/benchmarks.md
    )
