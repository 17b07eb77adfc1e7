"""``stack``: Diablo's command line client of the direct API.

    stack [--user=U] [--project=P] [--host=H] [--port=N] \\
        <controller> <method> [name=value ...]

prints the method's answer; ``stack help [controller [method]]`` and
``stack <controller>`` list what the direct API offers.  ``--user``,
``--project``, ``--host`` (127.0.0.1) and ``--port`` (8001) are its own
options, not nova.conf flags; the admin manual prints them with an en
dash (``–user=admin``), which is accepted too.
"""

import json
import pprint
import sys
from urllib import error, parse, request

USAGE = """usage: stack [options] <controller> <method> [arg1=value arg2=value]

  `stack help` should output the list of available controllers
  `stack <controller>` should output the available methods for that controller
  `stack help <controller>` should do the same
  `stack help <controller> <method>` should output info for a method
"""

OPTIONS = {'host': '127.0.0.1', 'port': '8001', 'user': 'user1',
           'project': 'proj1'}


def parse_args(argv):
    """``(options, words)`` of a command line."""
    options, words = dict(OPTIONS), []
    for arg in argv:
        text = arg.replace('\u2013', '--', 1) if arg.startswith('\u2013') \
            else arg
        if text.startswith('--') and '=' in text and \
                text[2:].split('=', 1)[0] in OPTIONS:
            name, value = text[2:].split('=', 1)
            options[name] = value
        elif text.startswith('--'):
            raise SystemExit('stack: unknown option %s\n%s' % (arg, USAGE))
        else:
            words.append(arg)
    return options, words


def do_request(options, controller, method, params=None):
    """POST to the direct API; its JSON answer (exits on an error)."""
    url = 'http://%s:%s/%s/%s' % (options['host'], options['port'],
                                  controller, method)
    data = parse.urlencode(params or {}).encode()
    req = request.Request(url, data=data, headers={
        'X-OpenStack-User': options['user'],
        'X-OpenStack-Project': options['project']})
    try:
        with request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read().decode('utf-8'))
    except error.HTTPError as exc:
        try:
            message = json.loads(exc.read().decode('utf-8'))['error']
        except (ValueError, KeyError, TypeError):
            message = 'HTTP %s' % exc.code
        raise SystemExit('stack: %s' % message)
    except error.URLError as exc:
        raise SystemExit('stack: cannot reach the direct API at %s:%s (%s)'
                         % (options['host'], options['port'], exc.reason))


def _table(entries):
    width = max([len(k) for k in entries] or [0])
    return '\n'.join('   %s   %s' % (k.ljust(width), v)
                     for k, v in sorted(entries.items()))


def main(argv=None):
    """Run ``stack``."""
    options, words = parse_args(list(sys.argv[1:] if argv is None
                                     else argv))
    if not words or words == ['help']:
        print(USAGE + '\nAvailable controllers:\n' + _table(
            do_request(options, 'reflect', 'get_controllers')))
        return 0
    if words[0] == 'help':
        words = words[1:]
        if len(words) == 2:
            info = do_request(options, 'reflect', 'get_method_info',
                              {'method': '/%s/%s' % tuple(words)})
            print('%s(%s):\n\n%s' % (words[1], ', '.join(
                '='.join(a) for a in info['args']), info['doc']))
            return 0
    if len(words) == 1:
        methods = do_request(options, 'reflect', 'get_methods')
        prefix = '/%s/' % words[0]
        print('Available methods for %s:\n' % words[0] + _table(
            {k[len(prefix):]: v for k, v in methods.items()
             if k.startswith(prefix)}))
        return 0
    params = {}
    for word in words[2:]:
        if '=' not in word:
            raise SystemExit('stack: arguments are name=value, not %r'
                             % word)
        key, value = word.split('=', 1)
        params[key] = value
    pprint.pprint(do_request(options, words[0], words[1], params))
    return 0
