"""Finding 6 of issue 8: whose X-Forwarded-For hop is believed."""

import pytest

from nova.api.ec2 import forwarded


@pytest.fixture
def behind_proxy(set_flags):
    set_flags(use_forwarded_for=True,
              metadata_trusted_proxies=['127.0.0.1', '::1', '10.9.0.0/24'])


def test_header_ignored_without_the_flag(set_flags):
    set_flags(use_forwarded_for=False)
    assert forwarded.source_address('127.0.0.1', '10.0.0.5') == '127.0.0.1'


def test_default_trusts_loopback_only():
    assert forwarded.FLAGS.metadata_trusted_proxies == ['127.0.0.1', '::1']


def test_untrusted_sender_is_taken_at_its_address(behind_proxy):
    assert forwarded.source_address('192.0.2.7', '10.0.0.5') == '192.0.2.7'


def test_last_untrusted_hop_wins(behind_proxy):
    # The client forged "10.0.0.5"; the proxy appended the real source.
    assert forwarded.source_address('127.0.0.1',
                                    '10.0.0.5, 192.0.2.7') == '192.0.2.7'
    # Two proxies of ours: both skipped.
    assert forwarded.source_address(
        '127.0.0.1', '10.0.0.5, 192.0.2.7, 10.9.0.4') == '192.0.2.7'
    assert forwarded.source_address('::1', '10.0.0.5') == '10.0.0.5'


@pytest.mark.parametrize('header', ['', ' ', ',', 'nonsense',
                                    '10.0.0.5, ', '10.0.0.5,x'])
def test_empty_or_malformed_header_is_refused(behind_proxy, header):
    with pytest.raises(forwarded.UntrustworthyForwarding):
        forwarded.source_address('127.0.0.1', header)


def test_absent_header_means_the_proxy_itself(behind_proxy):
    assert forwarded.source_address('127.0.0.1', None) == '127.0.0.1'
