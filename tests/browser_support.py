"""What the real-browser tests share: Debian's headless Chromium driven
through chromedriver, and the directory their screenshots go to."""

import os
import shutil

CHROMIUM = shutil.which('chromium')
CHROMEDRIVER = shutil.which('chromedriver')


def artifact_dir(tmp_path_factory, name):
    """``$NOVA_TEST_ARTIFACTS/<name>`` when that is set, else a temporary
    directory; made if need be."""
    base = os.environ.get('NOVA_TEST_ARTIFACTS')
    path = os.path.join(base, name) if base else \
        str(tmp_path_factory.mktemp('%s-shots' % name))
    os.makedirs(path, exist_ok=True)
    return path


def headless_chrome(window_size):
    """A headless Chromium WebDriver with a ``'<w>,<h>'`` window, no
    implicit wait; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--window-size=%s' % window_size):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    return driver


def wait_until(driver, predicate, timeout=60):
    """``predicate(driver)``'s first truthy value, polled every 0.2 s.

    The dashboard re-renders its tables while instances change state, so
    an element found by one poll may be gone by the next: such a poll
    counts as "not yet" instead of failing the test.
    """
    from selenium.common.exceptions import (NoSuchElementException,
                                            StaleElementReferenceException)
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(
        driver, timeout, poll_frequency=0.2,
        ignored_exceptions=(NoSuchElementException,
                            StaleElementReferenceException)).until(
        lambda d: predicate(d))

