"""Satchel's credential core: did:key, Data Integrity proofs, canonicalization, Open Badges 3.0.

Pure functions and small classes. Nothing here touches the network, the clock or
key files: time arrives as ``now=``, keys as a ``Signer``, documents through a
``DocumentLoader`` the caller passes in.
"""
