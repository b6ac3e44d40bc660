"""The batch baseline for match quality: recordlinkage's unsupervised ECM classifier on the same records.

The records are the protobuf messages the service is sent, flattened to one row each and lower-cased
(as recordlinkage's own examples prepare FEBRL). Candidate pairs come from blocking on each of given
name, family name, birth date, postcode, e-mail and phone (the union), every comparison is binary
(names and streets agree at Jaro-Winkler 0.85, the rest exactly), and ECM classifies the pairs without
labels. Its links are scored as pairs and, like the customer master's, as the clusters they make.
"""

from __future__ import annotations

from collections.abc import Sequence

from isthmus_client.api.customers.v1 import records_pb2 as pb


def _row(r: pb.SourceRecord) -> dict[str, str]:
    given, family = r.name.given_name, r.name.family_name
    if not (given or family) and r.name.full_name:
        parts = r.name.full_name.split()
        given, family = (parts[0], " ".join(parts[1:])) if len(parts) > 1 else ("", parts[0])
    dob = ""
    if r.HasField("birth_date"):
        d = r.birth_date
        dob = f"{d.year:04d}{d.month:02d}{d.day:02d}"
    line = (
        r.addresses[0].address.address_lines[0]
        if r.addresses and r.addresses[0].address.address_lines
        else ""
    )
    number, _, street = line.partition(" ") if line[:1].isdigit() else ("", "", line)
    if not number and street:
        head, _, tail = street.rpartition(" ")
        if tail[:1].isdigit():
            street, number = head, tail
    address = r.addresses[0].address if r.addresses else None
    return {
        "given": given.lower(),
        "family": family.lower(),
        "dob": dob,
        "number": number.lower(),
        "street": street.lower(),
        "postcode": address.postal_code if address else "",
        "locality": address.locality.lower() if address else "",
        "email": r.emails[0].address.lower() if r.emails else "",
        "phone": "".join(c for c in r.phones[0].number if c.isdigit())[-9:] if r.phones else "",
        "ident": r.identifiers[0].value if r.identifiers else "",
    }


def ecm(records: Sequence[tuple[int, pb.SourceRecord]]) -> dict[str, float]:
    """Precision, recall, F1 of ECM's links, as pairs and as clusters; candidate pairs and links."""
    import numpy as np
    import pandas as pd
    import recordlinkage

    rows = [{k: v or None for k, v in _row(r).items()} for _, r in records]
    frame = pd.DataFrame(rows)
    truth = np.array([pid for pid, _ in records])
    indexer = recordlinkage.Index()
    for key in ("given", "family", "dob", "postcode", "email", "phone"):
        indexer.block(key)
    candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    for key in ("given", "family", "street", "locality"):
        compare.string(key, key, method="jarowinkler", threshold=0.85, label=key)
    for key in ("dob", "number", "postcode", "email", "phone", "ident"):
        compare.exact(key, key, label=key)
    features = compare.compute(candidates, frame)
    # A column that never agrees gives ECM nothing to estimate (and a division by zero).
    features = features.loc[:, features.sum() > 0]
    links = recordlinkage.ECMClassifier(binarize=None).fit_predict(features)
    left = links.get_level_values(0).to_numpy()
    right = links.get_level_values(1).to_numpy()
    tp = int((truth[left] == truth[right]).sum())
    _, counts = np.unique(truth, return_counts=True)
    actual = int((counts * (counts - 1) // 2).sum())
    precision = tp / len(links) if len(links) else 1.0
    recall = tp / actual if actual else 1.0
    result = {
        "candidates": float(len(candidates)),
        "links": float(len(links)),
        "pair_precision": precision,
        "pair_recall": recall,
        "pair_f1": _f1(precision, recall),
    }
    # As clusters: records joined through links are one entity, as a master would hold them.
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left, right, strict=True):
        ra, rb = root(int(a)), root(int(b))
        if ra != rb:
            parent[ra] = rb
    clusters = [root(i) for i in range(len(records))]
    from collections import Counter

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    together = Counter(zip(truth.tolist(), clusters, strict=True))
    tp_c = sum(pairs(n) for n in together.values())
    predicted = sum(pairs(n) for n in Counter(clusters).values())
    cp = tp_c / predicted if predicted else 1.0
    cr = tp_c / actual if actual else 1.0
    result |= {"precision": cp, "recall": cr, "f1": _f1(cp, cr)}
    return result


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
