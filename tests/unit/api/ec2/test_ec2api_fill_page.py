"""paging.fill_page: pages whose filters run in Python, read a keyset
batch at a time (nova/api/ec2/paging.py)."""

import pytest

from nova import context
from nova.api.ec2 import paging


@pytest.fixture
def ctxt(tmp_path, set_flags):
    set_flags(state_path=str(tmp_path), ec2_paging_secret='k')
    return context.RequestContext('u', 'p')


def _reader(rows, reads):
    def read(marker, limit):
        reads.append((marker, limit))
        after = [r for r in rows if marker is None or r > marker]
        return after if limit is None else after[:limit]
    return read


def test_unpaged_reads_once_and_filters(ctxt):
    reads = []
    page = paging.page_of(ctxt, 'DescribeVolumes')
    items, token = paging.fill_page(page, _reader(list(range(20)), reads),
                                    lambda r: r % 2, lambda r: r)
    assert items == list(range(1, 20, 2)) and token is None
    assert reads == [(None, None)]


def test_filtered_page_is_filled_across_batches(ctxt):
    reads = []
    page = paging.page_of(ctxt, 'DescribeVolumes', 5)
    rows = list(range(1, 40))
    items, token = paging.fill_page(page, _reader(rows, reads),
                                    lambda r: r % 3 == 0, lambda r: r)
    assert items == [3, 6, 9, 12, 15]
    assert paging.read_token(ctxt, 'DescribeVolumes', token) == 15
    assert [limit for _m, limit in reads] == [6] * len(reads)
    page = paging.page_of(ctxt, 'DescribeVolumes', 5, token)
    items, token = paging.fill_page(page, _reader(rows, []),
                                    lambda r: r % 3 == 0, lambda r: r)
    assert items == [18, 21, 24, 27, 30]
    page = paging.page_of(ctxt, 'DescribeVolumes', 5, token)
    items, token = paging.fill_page(page, _reader(rows, []),
                                    lambda r: r % 3 == 0, lambda r: r)
    assert items == [33, 36, 39] and token is None


def test_a_sparse_filter_stops_after_max_batches(ctxt):
    reads = []
    page = paging.page_of(ctxt, 'DescribeVolumes', 5)
    rows = list(range(1, 1000))
    items, token = paging.fill_page(page, _reader(rows, reads),
                                    lambda r: r == 999, lambda r: r)
    assert items == [] and len(reads) == paging.MAX_BATCHES
    marker = paging.read_token(ctxt, 'DescribeVolumes', token)
    assert marker == 6 * paging.MAX_BATCHES
    items, token = paging.fill_page(
        paging.page_of(ctxt, 'DescribeVolumes', 5, token),
        _reader(rows, []), lambda r: r == 999, lambda r: r)
    assert items == [] and token is not None
