"""The keys and the content hash the import's replay reads each row by (kernel.intake.row_keys, RowHasher)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from huikuan.kernel.identifiers import normalise_reference
from huikuan.kernel.intake import FIELDS, RowHasher, content_hash, row_keys

# ASCII and not: spaces of both widths, full-width letters and digits, other scripts' digits, Chinese.
key_text = st.text(st.sampled_from(["C", "1", " ", "\u3000", "\t", "Ｃ", "１", "٣", "合", "-", "\x1f"]), max_size=8)


@examples(max_examples=300, deadline=None)
@given(key_text, key_text, key_text)
def test_row_keys_spell_the_numbers_as_validation_does(customer: str, contract: str, name: str) -> None:
    assert row_keys(customer, contract, name) == (
        normalise_reference(customer.strip()),
        normalise_reference(contract.strip()),
        name.strip(),
    )


@examples(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8, unique=True),
    st.lists(st.text(max_size=10), min_size=8, max_size=12),
    st.randoms(),
    st.booleans(),
)
def test_a_row_hashed_as_cells_hashes_as_its_fields_do(
    names: list[str], cells: list[str], random: object, first: bool
) -> None:
    """Each field at any position among a row's cells (others unmapped): the hash of the cells is the content
    hash of the fields they hold; another value in one mapped cell is another hash, one in an unmapped
    cell is not."""
    positions = dict(zip(names, random.sample(range(len(cells)), len(names)), strict=True))  # type: ignore[attr-defined]
    fields = {name: cells[position] for name, position in positions.items()}
    hash_cells = RowHasher("ctx").of_cells(positions)
    assert hash_cells(cells, first) == content_hash(fields, first, "ctx")
    assert hash_cells(cells, not first) != hash_cells(cells, first)
    changed = list(cells)
    mapped = next(iter(positions.values()))
    changed[mapped] += "x"
    assert hash_cells(changed, first) != hash_cells(cells, first)
    unmapped = [i for i in range(len(cells)) if i not in positions.values()]
    if unmapped:
        other = list(cells)
        other[unmapped[0]] += "x"
        assert hash_cells(other, first) == hash_cells(cells, first)
