// Live unread badges (progressive enhancement): the navigation already
// shows the numbers; this keeps them current from /events/unread.
(function () {
  var badges = document.querySelectorAll('.nav-badge[data-unread]');
  if (!badges.length || !window.EventSource) return;
  var source = new EventSource('/events/unread');
  source.addEventListener('unread', function (e) {
    var counts;
    try { counts = JSON.parse(e.data); } catch (_) { return; }
    badges.forEach(function (badge) {
      var n = counts[badge.getAttribute('data-unread')];
      if (typeof n !== 'number') return;
      var count = badge.querySelector('.nav-badge-count');
      if (count) count.textContent = String(n);
      badge.hidden = n === 0;
      var link = badge.closest('a');
      if (!link) return;
      if (n > 0) link.setAttribute('aria-label', link.getAttribute('data-label') + ', ' + n + ' unread');
      else link.removeAttribute('aria-label');
    });
  });
})();
