"""NextToken signing and MaxResults rules (nova/api/ec2/paging.py)."""

import pytest

from nova import context
from nova import exception
from nova.api.ec2 import paging


@pytest.fixture
def ctxt(tmp_path, set_flags):
    set_flags(state_path=str(tmp_path), ec2_paging_secret=None)
    return context.RequestContext('u', 'p')


def test_token_roundtrip_and_tampering(ctxt):
    token = paging.make_token(ctxt, 'DescribeTags', 42)
    assert paging.read_token(ctxt, 'DescribeTags', token) == 42
    body, _dot, sig = token.partition('.')
    for bad in (body + '.' + sig[::-1], body, 'x.y', '', token + 'A',
                paging.make_token(ctxt, 'DescribeInstances', 42)):
        with pytest.raises(exception.InvalidParameterValue):
            paging.read_token(ctxt, 'DescribeTags', bad)
    with pytest.raises(exception.InvalidParameterValue):
        paging.read_token(context.RequestContext('u', 'other'),
                          'DescribeTags', token)


def test_secret_is_shared_through_state_path(ctxt, tmp_path):
    token = paging.make_token(ctxt, 'DescribeTags', 1)
    assert (tmp_path / 'ec2_paging.key').exists()
    paging._KEYS.clear()
    assert paging.read_token(ctxt, 'DescribeTags', token) == 1


def test_flag_secret(ctxt, set_flags):
    token = paging.make_token(ctxt, 'DescribeTags', 1)
    set_flags(ec2_paging_secret='s3cret')
    with pytest.raises(exception.InvalidParameterValue):
        paging.read_token(ctxt, 'DescribeTags', token)


def test_page_rules(ctxt):
    assert not paging.page_of(ctxt, 'DescribeInstances').paged
    page = paging.page_of(ctxt, 'DescribeInstances', '5')
    assert (page.limit, page.fetch, page.marker) == (5, 6, None)
    rows, token = page.split(list(range(6)), lambda r: r)
    assert rows == [0, 1, 2, 3, 4]
    assert paging.read_token(ctxt, 'DescribeInstances', token) == 4
    assert page.split([1, 2], lambda r: r) == ([1, 2], None)
    cont = paging.page_of(ctxt, 'DescribeInstances', None, token)
    assert (cont.limit, cont.marker) == (1000, 4)
    for value in ('4', '1001', 'x'):
        with pytest.raises(exception.InvalidParameterValue):
            paging.page_of(ctxt, 'DescribeInstances', value)
    with pytest.raises(exception.InvalidParameterCombination):
        paging.page_of(ctxt, 'DescribeInstances', '5', ids=['i-1'])
    assert paging.page_of(ctxt, 'DescribeTags', '1100').limit == 1000
    assert paging.page_of(ctxt, 'DescribeVolumes', '500').limit == 500
    # The AWS CLI asks for 1000 volumes a page: AWS answers 500.
    assert paging.page_of(ctxt, 'DescribeVolumes', '1000').limit == 500
