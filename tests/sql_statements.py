"""The SQL statements a piece of code sends, for tests that bound them."""

from sqlalchemy import event

from nova.db.sqlalchemy import session as db_session


def statements_of(func):
    """``(func's result, [every SQL statement it sent, in order])``."""
    engine = db_session.get_engine()
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, 'before_cursor_execute', before)
    try:
        result = func()
    finally:
        event.remove(engine, 'before_cursor_execute', before)
    return result, statements
