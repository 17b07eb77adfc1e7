// Refresh the instances' states without reloading the page, while any of
// them is in a transition (BUILD, REBOOT, ...).
(function () {
  'use strict';
  function rows() {
    return document.querySelectorAll('#instances tr[data-id]');
  }
  function unsettled() {
    return Array.prototype.some.call(rows(), function (row) {
      return row.getAttribute('data-settled') !== 'yes';
    });
  }
  function poll() {
    if (!unsettled()) { return; }
    fetch('/instances.json', {credentials: 'same-origin'})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var byId = {};
        data.servers.forEach(function (s) { byId[String(s.id)] = s; });
        Array.prototype.forEach.call(rows(), function (row) {
          var s = byId[row.getAttribute('data-id')];
          if (!s) {
            row.querySelector('.status').textContent = 'DELETED';
            row.setAttribute('data-settled', 'yes');
            return;
          }
          row.querySelector('.status').textContent = s.status;
          row.querySelector('.ips').textContent = s.ips.join(', ');
          row.setAttribute('data-settled', s.settled ? 'yes' : 'no');
        });
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 1000);
}());
