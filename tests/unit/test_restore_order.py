"""`pg_restore --clean` drops in the reverse order of the archive's list, and pg_dump lists a partition's
keys and indexes after its parent's: the restore's list puts them first, so the parent's are dropped first
(taking the partitions' with them) and a restore over a database with order_events partitioned succeeds
(tests/integration/test_backup.py restores over one)."""

from marketplace.backup import partitions_first

# pg_restore --list of a backup, cut to order_events' entries and a neighbour of each kind
LISTING = """\
;
; Archive created at 2026-11-30 00:20:00 UTC
312; 1259 20641 TABLE public order_events postgres
314; 1259 20655 TABLE public order_events_archive postgres
313; 1259 20647 TABLE public order_events_hot postgres
315; 1259 20700 TABLE public orders postgres
3476; 0 0 TABLE ATTACH public order_events_archive postgres
3475; 0 0 TABLE ATTACH public order_events_hot postgres
4290; 0 20655 TABLE DATA public order_events_archive postgres
4289; 0 20647 TABLE DATA public order_events_hot postgres
3886; 2606 20664 CONSTRAINT public order_events pk_order_events postgres
3896; 2606 20668 CONSTRAINT public order_events_archive order_events_archive_pkey postgres
3891; 2606 20666 CONSTRAINT public order_events_hot order_events_hot_pkey postgres
3899; 2606 20669 CONSTRAINT public orders pk_orders postgres
3882; 1259 20737 INDEX public ix_order_events_market_id postgres
3892; 1259 20739 INDEX public order_events_archive_market_id_idx postgres
3887; 1259 20738 INDEX public order_events_hot_market_id_idx postgres
3901; 0 0 INDEX ATTACH public order_events_archive_market_id_idx postgres
3904; 0 0 INDEX ATTACH public order_events_archive_pkey postgres
3897; 0 0 INDEX ATTACH public order_events_hot_market_id_idx postgres
3900; 0 0 INDEX ATTACH public order_events_hot_pkey postgres
4043; 2606 20700 FK CONSTRAINT public order_events fk_order_events_order_id_orders postgres
"""


def _ids(listing: str) -> list[str]:
    return [line.split(";")[0] for line in listing.splitlines() if line and not line.startswith(";")]


def test_the_partitions_keys_and_indexes_come_before_every_other_key_and_index():
    ordered = _ids(partitions_first(LISTING))
    assert ordered == [
        *["312", "314", "313", "315", "3476", "3475", "4290", "4289"],  # tables, attaches and data: where they were
        *["3896", "3891", "3886", "3899"],  # the partitions' keys, then the parent's and the others
        *["3892", "3887", "3882"],  # the partitions' indexes, then the parent's
        *["3901", "3904", "3897", "3900", "4043"],  # attached after both; foreign keys last
    ]
    assert sorted(ordered) == sorted(_ids(LISTING))  # nothing lost, nothing added


def test_a_backup_without_partitions_is_restored_in_its_own_order():
    plain = "\n".join(line for line in LISTING.splitlines() if "order_events" not in line) + "\n"
    assert partitions_first(plain) == plain
