"""A text model's builds ship the tokenizer its inputs were made with: the file in the zoo model's ``assets`` is the
one the zoo tokenized its calibration data with, so an app that loads it feeds the build the same ids."""

from __future__ import annotations

import numpy as np
from tokenizers import Tokenizer

from ingest.zoo import llama_kv, minilm
from ingest.zoo.text import split_sentences


def test_minilm_ships_the_tokenizer_that_made_its_inputs() -> None:
    model = minilm.build("tiny")
    tok = Tokenizer.from_file(str(model.assets["tokenizer.json"]))
    tok.no_padding()  # the file pads to 128 (the default size's length); this is the tiny size, 32
    sentence = split_sentences("calibration", 1)[0]
    ids = model.calibration("model", 1)[0]["input_ids"].reshape(-1)
    mask = model.calibration("model", 1)[0]["attention_mask"].reshape(-1).astype(bool)
    assert ids[mask].tolist() == tok.encode(sentence).ids  # [CLS] ... [SEP], then padding the mask leaves out
    assert "tokenizer.json in every build" in model.card["tokenizer"]


def test_the_kv_llm_ships_the_tokenizer_of_its_prompts() -> None:
    path = llama_kv.build().assets["tokenizer.json"]
    assert path == llama_kv.tokenizer_file()
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()  # as llama_kv.tokenizer(): a prompt is not padded to a length
    text = "the quick brown fox"
    bos = llama_kv.special_ids()[0]
    assert llama_kv.encode(text) == [bos, *tok.encode(text, add_special_tokens=False).ids]
    assert np.all(np.array(llama_kv.encode(text)) < tok.get_vocab_size())
