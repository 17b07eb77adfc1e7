"""A request's roles read the user's roles once per scope, not per role.

:meth:`AuthManager.request_roles` (what the EC2 middleware asks for each
request) must answer as the role-by-role checks do, for both drivers.
"""


from nova import flags
from nova.auth import manager

FLAGS = flags.FLAGS


def _one_by_one(auth, user, project):
    """The answer built from single-role questions, each asked afresh."""
    driver = auth.driver
    uid = user.id
    superuser = user.admin or any(driver.has_role(uid, role)
                                  for role in FLAGS.superuser_roles)
    is_admin = superuser or any(driver.has_role(uid, role)
                                for role in FLAGS.global_roles)
    roles = []
    for role in list(FLAGS.allowed_roles) + [manager.PROJECT_MANAGER_ROLE]:
        if role == manager.PROJECT_MANAGER_ROLE:
            held = auth.is_project_manager(uid, project)
        elif not driver.has_role(uid, role):
            held = False
        elif role in FLAGS.global_roles:
            held = True
        else:
            held = driver.has_role(uid, role, project.id)
        if held:
            roles.append(role)
    return is_admin, roles


def test_request_roles_answer_as_role_by_role_checks(auth, set_flags):
    boss = auth.create_user('boss')
    dev = auth.create_user('dev')
    ops = auth.create_user('ops')
    auth.create_user('root', admin=True)
    project = auth.create_project('proj', boss, member_users=[dev, ops])
    auth.add_role(dev, 'developer')
    auth.add_role(dev, 'developer', project)
    auth.add_role(ops, 'netadmin')          # global only: not active
    auth.add_role(ops, 'itsec')             # a global role: active
    auth.add_role(boss, 'sysadmin')
    auth.add_role(boss, 'sysadmin', project)
    project = auth.get_project('proj')
    expected = {
        'boss': (False, ['sysadmin', 'projectmanager']),
        'dev': (False, ['developer']),
        'ops': (True, ['itsec']),
        'root': (True, []),
    }
    for name, want in expected.items():
        user = auth.get_user(name)
        got = auth.request_roles(user, project)
        assert got == _one_by_one(auth, user, project) == want, name
        assert auth.is_admin(user) == want[0]
        assert auth.get_active_roles(user, project) == want[1]
    # A superuser role outside --allowed_roles is still asked for.
    set_flags(superuser_roles=['operator'])
    auth.driver.add_role(ops.id, 'operator')
    assert auth.is_superuser(ops) is auth.driver.has_role(ops.id, 'operator')


def test_request_roles_list_each_scope_once(auth, monkeypatch):
    dev = auth.create_user('dev')
    project = auth.create_project('proj', dev)
    auth.add_role(dev, 'developer')
    auth.add_role(dev, 'developer', project)
    calls = []
    listed = auth.driver.get_user_roles
    monkeypatch.setattr(auth.driver, 'get_user_roles', lambda uid, pid=None:
                        calls.append(pid) or listed(uid, pid))
    project = auth.get_project('proj')
    assert auth.request_roles(auth.get_user('dev'), project) == \
        (False, ['developer', 'projectmanager'])
    assert sorted(calls, key=str) == [None, 'proj']
