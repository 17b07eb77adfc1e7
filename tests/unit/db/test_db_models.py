"""The models against Diablo's schema (reference/db-schema.md)."""

import os
import re

import pytest
import sqlalchemy as sa

from nova.db.sqlalchemy import models

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SCHEMA_MD = os.path.join(REPO, 'tests', 'data', 'reference', 'db-schema.md')

# Diablo's model declared these foreign keys, but its MySQL tables (MyISAM)
# never enforced them, and the admin manual's recovery SQL relies on that
# (``update volumes set instance_id=0``, chapter 8): revision 004 drops it.
NO_FOREIGN_KEY = {'volumes.instance_id'}

TYPES = {'Integer': sa.Integer, 'String': sa.String, 'Text': sa.Text,
         'DateTime': sa.DateTime, 'Boolean': sa.Boolean, 'Float': sa.Float}


def _balanced(text, start):
    """The text of the call starting at ``start`` up to its closing ')'."""
    depth = 0
    for pos in range(text.index('(', start), len(text)):
        depth += {'(': 1, ')': -1}.get(text[pos], 0)
        if depth == 0:
            return text[start:pos + 1]
    raise ValueError('unbalanced: %s' % text[start:])


def _parse_column(call):
    inner = call[call.index('(') + 1:-1]
    type_match = re.match(r'(\w+)(?:\((\d*)\))?', inner)
    fk = re.search(r"ForeignKey\('?([\w.]+)'?\)", inner)
    return {
        'type': type_match.group(1),
        'length': int(type_match.group(2)) if type_match.group(2) else None,
        'primary_key': 'primary_key=True' in inner,
        'nullable': not ('nullable=False' in inner or
                         'primary_key=True' in inner),
        'unique': 'unique=True' in inner,
        'fk': fk.group(1) if fk else None,
    }


def parse_schema(text):
    """``{table: {column: spec}}`` from the markdown.

    Some rows of the extract hold further columns inside a trailing comment
    (``# ... status = Column(String(255))``); those are columns too.
    """
    tables, models_to_tables, current = {}, {}, None
    for line in text.splitlines():
        header = re.match(r'^## (\w+) \(model (\w+)\)', line)
        if header:
            current = tables.setdefault(header.group(1), {})
            models_to_tables[header.group(2)] = header.group(1)
            continue
        row = re.match(r'^\| (\w+) \| `(.*)` \|$', line)
        if not row or current is None:
            continue
        name, definition = row.groups()
        current[name] = _parse_column(_balanced(definition, 0))
        for hidden in re.finditer(r'(\w+) = (Column\()', definition):
            current[hidden.group(1)] = _parse_column(
                _balanced(definition, hidden.start(2)))
    for columns in tables.values():
        for spec in columns.values():
            if spec['fk'] and '.' in spec['fk']:
                target, column = spec['fk'].split('.')
                spec['fk'] = '%s.%s' % (models_to_tables.get(target, target),
                                        column)
    return tables


@pytest.fixture(scope='module')
def schema():
    if not os.path.exists(SCHEMA_MD):
        pytest.skip('reference schema %s is absent' % SCHEMA_MD)
    with open(SCHEMA_MD) as handle:
        return parse_schema(handle.read())


#: Tables this project added to Diablo's schema (later alembic revisions).
ADDED_TABLES = ('auth_failures', 'instance_faults', 'tags', 'outbox')
#: Columns added to Diablo's tables: EC2 idempotency and attributes
#: (revision 005_tags).
ADDED_COLUMNS = {'instances': {'client_token', 'disable_terminate',
                               'shutdown_terminate'}}


def _diablo_tables():
    return {name: table for name, table in models.BASE.metadata.tables.items()
            if name not in ADDED_TABLES}


def test_parser_finds_hidden_columns(schema):
    assert len(schema) == 38
    assert {'status', 'attach_status', 'scheduled_at', 'instance_id'} <= \
        set(schema['volumes'])
    assert {'vol_count', 'status'} <= set(schema['virtual_storage_arrays'])
    assert 'from_port' in schema['security_group_rules']
    assert schema['projects']['project_manager']['fk'] == 'users.id'


def test_every_table_is_modelled(schema):
    assert set(_diablo_tables()) == set(schema)
    assert len(models.all_models()) >= 38


def test_base_columns_on_later_tables_too():
    for table in models.BASE.metadata.tables.values():
        assert {'created_at', 'updated_at', 'deleted_at', 'deleted'} <= \
            set(table.c.keys()), table.name


@pytest.mark.parametrize('column,kind', [
    ('created_at', sa.DateTime), ('updated_at', sa.DateTime),
    ('deleted_at', sa.DateTime), ('deleted', sa.Boolean)])
def test_base_columns_everywhere(column, kind):
    for table in _diablo_tables().values():
        assert isinstance(table.c[column].type, kind), table.name
    assert models.Service.__table__.c.deleted.default.arg is False


def test_columns_match_reference(schema):
    problems = []
    for name, columns in sorted(schema.items()):
        table = models.BASE.metadata.tables[name]
        expected = set(columns) | {'created_at', 'updated_at', 'deleted_at',
                                   'deleted'} | ADDED_COLUMNS.get(name, set())
        if set(table.c.keys()) != expected:
            problems.append('%s columns: extra %s missing %s' % (
                name, sorted(set(table.c.keys()) - expected),
                sorted(expected - set(table.c.keys()))))
            continue
        uniques = {tuple(c.name for c in cons.columns)
                   for cons in table.constraints
                   if isinstance(cons, sa.UniqueConstraint)}
        for col_name, spec in columns.items():
            col = table.c[col_name]
            where = '%s.%s' % (name, col_name)
            if not isinstance(col.type, TYPES[spec['type']]):
                problems.append('%s type %r' % (where, col.type))
            if spec['length'] and col.type.length != spec['length']:
                problems.append('%s length %s' % (where, col.type.length))
            if col.primary_key != spec['primary_key']:
                problems.append('%s primary key' % where)
            if col.nullable != spec['nullable']:
                problems.append('%s nullable %s' % (where, col.nullable))
            if spec['unique'] and (col_name,) not in uniques:
                problems.append('%s not unique' % where)
            targets = {fk.target_fullname for fk in col.foreign_keys}
            if where in NO_FOREIGN_KEY:
                if targets:
                    problems.append('%s has a foreign key' % where)
                continue
            if spec['fk'] and targets != {spec['fk']}:
                problems.append('%s fk %s' % (where, targets))
            if not spec['fk'] and targets:
                problems.append('%s unexpected fk %s' % (where, targets))
    assert not problems, '\n'.join(problems)


def test_dict_access_and_names(set_flags):
    svc = models.Service(host='h1', binary='nova-compute', topic='compute')
    assert svc['host'] == 'h1' and svc.get('nope', 7) == 7
    svc['topic'] = 'network'
    svc.update({'disabled': True})
    assert svc.topic == 'network' and svc.disabled is True
    assert 'host' in svc and ('host', 'h1') in dict(svc.iteritems()).items()
    with pytest.raises(KeyError):
        svc['nope']
    inst = models.Instance(id=10)
    assert inst['name'] == 'instance-0000000a'
    assert dict(inst)['name'] == 'instance-0000000a'
    set_flags(instance_name_template='vm-%d')
    assert inst.name == 'vm-10'
    assert models.Volume(id=3).name == 'volume-00000003'
    snap = models.Snapshot(id=1, volume_id=2)
    assert (snap.name, snap.volume_name) == ('snapshot-00000001',
                                             'volume-00000002')
    assert inst['metadata'] == []
