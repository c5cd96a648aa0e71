"""credentials.secretbox: a passphrase-sealed secret opens with the passphrase and with nothing else."""

from __future__ import annotations

import pytest

from credentials.errors import CredentialError
from credentials.keys import generate_key_pair
from credentials.secretbox import (
    DEFAULT_PARAMS,
    MAGIC,
    Argon2Params,
    SecretBoxError,
    open_sealed,
    seal,
)

# Cheap parameters keep the tests fast; the format carries them, so open_sealed needs no hint.
CHEAP = Argon2Params(time_cost=1, memory_kib=64, parallelism=1)
SECRET = generate_key_pair().secret_key_multibase().encode()


def test_a_sealed_key_opens_with_its_passphrase() -> None:
    blob = seal(SECRET, "correct horse battery staple", params=CHEAP)
    assert open_sealed(blob, "correct horse battery staple") == SECRET
    assert blob.startswith(MAGIC)
    assert SECRET not in blob


def test_bytes_and_text_passphrases_are_the_same_utf8() -> None:
    blob = seal(SECRET, "pässwörd", params=CHEAP)
    assert open_sealed(blob, "pässwörd".encode()) == SECRET


def test_a_decomposed_accent_opens_what_a_composed_one_sealed() -> None:
    blob = seal(SECRET, "caf\u00e9", params=CHEAP)
    assert open_sealed(blob, "cafe\u0301") == SECRET


def test_two_seals_of_the_same_secret_differ() -> None:
    assert seal(SECRET, "pw", params=CHEAP) != seal(SECRET, "pw", params=CHEAP)


def test_a_wrong_passphrase_raises_and_says_nothing_of_the_secret() -> None:
    blob = seal(SECRET, "right", params=CHEAP)
    with pytest.raises(SecretBoxError) as caught:
        open_sealed(blob, "wrong")
    assert isinstance(caught.value, CredentialError)
    assert caught.value.code == "sealed_open_failed"
    assert "right" not in str(caught.value) and SECRET.decode()[:8] not in str(caught.value)


def test_changing_any_single_byte_fails_to_open() -> None:
    blob = seal(SECRET, "pw", params=CHEAP)
    for index in range(len(blob)):
        changed = bytearray(blob)
        changed[index] ^= 0x01
        with pytest.raises(SecretBoxError) as caught:
            open_sealed(bytes(changed), "pw")
        assert caught.value.code == "sealed_open_failed", index


@pytest.mark.parametrize("cut", [0, 5, 20, 40, 55])
def test_a_truncated_blob_fails_to_open(cut: int) -> None:
    blob = seal(SECRET, "pw", params=CHEAP)
    with pytest.raises(SecretBoxError) as caught:
        open_sealed(blob[:cut], "pw")
    assert caught.value.code == "sealed_open_failed"


def test_a_blob_asking_for_huge_argon2_memory_is_refused_before_deriving() -> None:
    blob = bytearray(seal(SECRET, "pw", params=CHEAP))
    blob[14:18] = (2**32 - 1).to_bytes(4, "big")  # memory_cost in KiB
    with pytest.raises(SecretBoxError) as caught:
        open_sealed(bytes(blob), "pw")
    assert "out of bounds" in str(caught.value)


def test_the_blob_carries_its_parameters() -> None:
    blob = seal(b"x", "pw", params=Argon2Params(time_cost=2, memory_kib=128, parallelism=2))
    assert int.from_bytes(blob[10:14], "big") == 2
    assert int.from_bytes(blob[14:18], "big") == 128
    assert blob[18] == 2
    assert open_sealed(blob, "pw") == b"x"


def test_default_parameters_are_argon2id_at_64_mib_and_3_passes() -> None:
    assert (DEFAULT_PARAMS.memory_kib, DEFAULT_PARAMS.time_cost) == (64 * 1024, 3)


@pytest.mark.parametrize(("plaintext", "passphrase", "code"), [
    (b"s", "", "sealed_empty_passphrase"),
    (b"s", b"", "sealed_empty_passphrase"),
    ("text", "pw", "sealed_bad_input"),
    (b"s", 42, "sealed_bad_input"),
])
def test_seal_refuses_bad_input(plaintext: object, passphrase: object, code: str) -> None:
    with pytest.raises(SecretBoxError) as caught:
        seal(plaintext, passphrase, params=CHEAP)  # type: ignore[arg-type]
    assert caught.value.code == code


@pytest.mark.parametrize("params", [Argon2Params(0, 64, 1), Argon2Params(1, 4, 1), Argon2Params(1, 64, 0),
                                    Argon2Params(1, 2 * 1024 * 1024, 1)])
def test_seal_refuses_unusable_parameters(params: Argon2Params) -> None:
    with pytest.raises(SecretBoxError) as caught:
        seal(b"s", "pw", params=params)
    assert caught.value.code == "sealed_bad_params"


def test_open_refuses_what_is_not_a_sealed_secret() -> None:
    for blob in (b"", b"{\"id\": \"did:key:z6Mk\"}", MAGIC, "text"):
        with pytest.raises(SecretBoxError):
            open_sealed(blob, "pw")  # type: ignore[arg-type]


def test_a_secret_sealed_with_the_default_parameters_opens() -> None:
    assert open_sealed(seal(SECRET, "district passphrase"), "district passphrase") == SECRET
