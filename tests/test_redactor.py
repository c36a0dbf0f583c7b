"""The redactor on its own: every form of a secret is masked, and nothing else."""

from __future__ import annotations

import threading

from tap_tiktok_ads.transport import REDACTED, Redactor


def test_each_secret_is_masked_in_its_plain_and_url_encoded_forms() -> None:
    redact = Redactor(["my secret/value", None, ""])
    text = "a=my secret/value b=my%20secret%2Fvalue c=my+secret%2Fvalue"
    assert redact(text) == f"a={REDACTED} b={REDACTED} c={REDACTED}"


def test_short_values_are_not_masked_so_no_word_is() -> None:
    redact = Redactor(["abc"])
    assert not redact
    assert redact("abc abcd") == "abc abcd"


def test_a_longer_secret_is_masked_whole_before_a_shorter_one_inside_it() -> None:
    redact = Redactor(["token", "token-and-more"])
    assert redact("token-and-more token") == f"{REDACTED} {REDACTED}"


def test_secrets_added_later_are_masked_too() -> None:
    redact = Redactor(["first-secret"])
    redact.add("refreshed-token")
    assert redact("first-secret refreshed-token") == f"{REDACTED} {REDACTED}"


def test_adding_while_other_threads_mask_is_safe() -> None:
    redact = Redactor(["initial-secret"])
    errors: list[BaseException] = []
    stop = threading.Event()

    def mask() -> None:
        try:
            while not stop.is_set():
                assert "initial-secret" not in redact("x initial-secret y")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=mask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for index in range(500):
        redact.add(f"token-number-{index}")
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert redact("token-number-499") == REDACTED
