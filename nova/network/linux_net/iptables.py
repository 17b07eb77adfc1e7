"""The iptables manager: Nova's rules kept in memory, applied atomically.

A process (``nova-network``, ``nova-compute``) owns one
:class:`IptablesManager`.  Its rules live in memory, grouped by table; each
:meth:`IptablesManager.apply` reads every table with ``iptables-save -t``,
removes whatever this process installed before (every line naming a chain
``<binary>-...``), inserts the declarations and rules it holds now ahead of
the rules it found, drops duplicate lines and writes the table back with one
``iptables-restore``.  Rules of other programs and other Nova processes
survive untouched, and a restarted process rebuilds exactly its own rules:
applying twice never duplicates a rule.

Chains are *wrapped* (``X`` is ``<binary>-X``) unless declared with
``wrap=False`` (``nova-filter-top`` and ``nova-postrouting-bottom`` are
shared by all Nova processes of a host).  In rule text, ``$name`` stands
for the wrapped chain ``<binary>-name``.
"""

import contextlib
import fcntl
import logging
import os
import random
import time

from nova.utils import concurrency

LOG = logging.getLogger('nova.network.linux_net.iptables')

# iptables allows 28 characters in a chain name.
MAX_CHAIN = 28


class IptablesRule(object):
    """One rule: ``-A <chain> <rule>``; ``top`` rules go first."""

    def __init__(self, chain, rule, wrap=True, top=False):
        self.chain = chain
        self.rule = rule
        self.wrap = wrap
        self.top = top

    def key(self):
        """What identifies the rule for removal."""
        return (self.chain, self.rule, self.wrap, self.top)

    def render(self, binary_name):
        """The ``iptables-restore`` line of the rule."""
        chain = '%s-%s' % (binary_name, self.chain) if self.wrap \
            else self.chain
        words = []
        for word in self.rule.split():
            if word.startswith('$'):
                word = '%s-%s' % (binary_name, word[1:])
            words.append(word)
        return '-A %s %s' % (chain, ' '.join(words))


class IptablesTable(object):
    """The chains and rules one process keeps in one table."""

    def __init__(self, binary_name):
        self.binary_name = binary_name
        self.chains = []
        self.unwrapped_chains = []
        self.rules = []

    def _name(self, name, wrap):
        full = '%s-%s' % (self.binary_name, name) if wrap else name
        if len(full) > MAX_CHAIN:
            raise ValueError('chain name %s is longer than %d characters'
                             % (full, MAX_CHAIN))
        return full

    def add_chain(self, name, wrap=True):
        """Declare a chain (nothing happens if it exists)."""
        self._name(name, wrap)
        chains = self.chains if wrap else self.unwrapped_chains
        if name not in chains:
            chains.append(name)

    def has_chain(self, name, wrap=True):
        """Whether the chain is declared."""
        return name in (self.chains if wrap else self.unwrapped_chains)

    def remove_chain(self, name, wrap=True):
        """Drop a chain, its rules and every rule jumping to it."""
        chains = self.chains if wrap else self.unwrapped_chains
        if name not in chains:
            LOG.debug('no chain %s to remove', name)
            return
        chains.remove(name)
        target = '$%s' % name if wrap else name
        self.rules = [r for r in self.rules
                      if not (r.chain == name and r.wrap == wrap) and
                      target not in r.rule.split()]

    def add_rule(self, chain, rule, wrap=True, top=False):
        """Add a rule (once); raises ValueError for an undeclared chain."""
        if wrap and chain not in self.chains:
            raise ValueError('unknown chain: %s' % chain)
        new = IptablesRule(chain, rule, wrap, top)
        if any(r.key() == new.key() for r in self.rules):
            return
        self.rules.append(new)

    def remove_rule(self, chain, rule, wrap=True, top=False):
        """Remove a rule added with the same arguments (a miss is logged)."""
        key = (chain, rule, wrap, top)
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.key() != key]
        if len(self.rules) == before:
            LOG.debug('no rule %s in chain %s to remove', rule, chain)

    def empty_chain(self, chain, wrap=True):
        """Drop the rules of a chain, keeping the chain."""
        self.rules = [r for r in self.rules
                      if not (r.chain == chain and r.wrap == wrap)]

    def rule_lines(self):
        """The rules as ``iptables-restore`` lines, in insertion order."""
        return [r.render(self.binary_name) for r in self.rules]

    def declarations(self):
        """The ``:chain - [0:0]`` lines of the declared chains."""
        return [':%s-%s - [0:0]' % (self.binary_name, c)
                for c in self.chains] + \
            [':%s - [0:0]' % c for c in self.unwrapped_chains]

    def merge(self, saved_lines):
        """The table's new text given the lines ``iptables-save`` printed.

        ``saved_lines`` cover the table from ``*table`` to ``COMMIT``.
        """
        owned = '%s-' % self.binary_name
        kept = [line for line in saved_lines if owned not in line]
        top_lines = set(r.render(self.binary_name) for r in self.rules
                        if r.top)
        kept = [line for line in kept if line.strip() not in top_lines]
        index = len(kept)
        for i, line in enumerate(kept):
            if line.startswith('-A ') or line.startswith('COMMIT'):
                index = i
                break
        new = kept[:index] + self.declarations() + self.rule_lines() + \
            kept[index:]
        # Keep the last copy of a repeated line: a shared rule another
        # process installed before keeps its place.
        seen = set()
        result = []
        for line in reversed(new):
            stripped = line.strip()
            if stripped in seen and not stripped.startswith('#'):
                continue
            seen.add(stripped)
            result.append(line)
        result.reverse()
        return result


def _table_lines(text, table):
    """The ``*table`` ... ``COMMIT`` lines of an ``iptables-save`` text."""
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        if line.strip() == '*%s' % table:
            start = i
        elif start is not None and line.strip() == 'COMMIT':
            return lines[start:i + 1]
    return ['*%s' % table, 'COMMIT']


class FileLock(object):
    """An exclusive lock on a file, shared by every Nova process of a host."""

    def __init__(self, path):
        self.path = path
        self._fd = None

    def __enter__(self):
        directory = os.path.dirname(self.path)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        # Never block in flock(): in a daemon, green threads share one OS
        # thread, and a second green thread blocking here would stop the
        # one holding the lock from ever releasing it (the whole process
        # hangs).  Poll instead; time.sleep yields to the other green
        # threads when the process is monkey-patched.
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.02)
            except BaseException:
                os.close(fd)
                raise
        self._fd = fd
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


class IptablesManager(object):
    """The iptables rules of one process (see the module docstring).

    ``execute(*cmd, process_input=None)`` runs a command as root and returns
    ``(stdout, stderr)``; ``lock_path`` is the directory of the host-wide
    ``nova-iptables.lock``.
    """

    def __init__(self, binary_name, execute, lock_path, use_ipv6=False):
        self.binary_name = binary_name
        self.execute = execute
        self.lock_path = lock_path
        self.use_ipv6 = use_ipv6
        self.ipv4 = {'filter': IptablesTable(binary_name),
                     'nat': IptablesTable(binary_name)}
        self.ipv6 = {'filter': IptablesTable(binary_name)}
        self._writes = concurrency.Coalescer()      # of apply()
        self._deferring = None      # green thread inside deferred_apply()
        self._deferred = False      # it asked for an apply meanwhile
        self._build_base()

    def _build_base(self):
        for tables in (self.ipv4, self.ipv6):
            table = tables['filter']
            table.add_chain('nova-filter-top', wrap=False)
            table.add_rule('FORWARD', '-j nova-filter-top', wrap=False,
                           top=True)
            table.add_rule('OUTPUT', '-j nova-filter-top', wrap=False,
                           top=True)
            table.add_chain('local')
            table.add_rule('nova-filter-top', '-j $local', wrap=False)
            for chain in ('INPUT', 'OUTPUT', 'FORWARD'):
                table.add_chain(chain)
                table.add_rule(chain, '-j $%s' % chain, wrap=False)
        nat = self.ipv4['nat']
        for chain in ('PREROUTING', 'OUTPUT', 'POSTROUTING'):
            nat.add_chain(chain)
            nat.add_rule(chain, '-j $%s' % chain, wrap=False)
        nat.add_chain('nova-postrouting-bottom', wrap=False)
        nat.add_rule('POSTROUTING', '-j nova-postrouting-bottom', wrap=False)
        nat.add_chain('snat')
        nat.add_rule('nova-postrouting-bottom', '-j $snat', wrap=False)
        nat.add_chain('floating-snat')
        nat.add_rule('snat', '-j $floating-snat')

    def _families(self):
        yield 'iptables', self.ipv4
        if self.use_ipv6:
            yield 'ip6tables', self.ipv6

    def apply(self):
        """Write every table to the kernel (under the host-wide lock).

        Calls made while a write runs (green threads of this process: ten
        guests of one RunInstances setting up their chains) share the next
        write, which starts after their changes: two writes, not ten.
        """
        if self._deferring is not None and \
                self._deferring is concurrency.current():
            self._deferred = True
            return None
        return self._writes.run(self._apply)

    @contextlib.contextmanager
    def deferred_apply(self):
        """Hold this green thread's applies until the block ends, then
        write once: a restarted nova-network re-adds its rules step by
        step, and the kernel must not see a table without the bridge and
        metadata rules in between.  Other green threads apply as usual.
        """
        if self._deferring is not None:     # nested: the outer one writes
            yield
            return
        self._deferring, self._deferred = concurrency.current(), False
        try:
            yield
        finally:
            pending, self._deferring = self._deferred, None
            if pending:     # also after an error: keep what was set up
                self.apply()

    def _apply(self):
        with FileLock(os.path.join(self.lock_path, 'nova-iptables.lock')):
            for command, tables in self._families():
                for name, table in tables.items():
                    self._apply_table(command, name, table)

    def _apply_table(self, command, name, table):
        saved, _err = self._retry(
            '%s-save' % command, '-t', name)
        lines = table.merge(_table_lines(saved, name))
        self._retry('%s-restore' % command,
                    process_input='\n'.join(lines) + '\n')

    def _retry(self, *cmd, **kwargs):
        for attempt in range(5):
            try:
                return self.execute(*cmd, **kwargs)
            except Exception:
                if attempt == 4:
                    raise
                LOG.warning('%s failed; retrying', cmd[0])
                time.sleep(random.uniform(0.2, 2))
