/* On a phone the menu is one sideways-scrolling line: bring the current page's entry into view. */
(function () {
  "use strict";
  var active = document.querySelector(".nav a.active");
  if (active && active.parentElement.scrollWidth > active.parentElement.clientWidth) {
    active.parentElement.scrollLeft = active.offsetLeft - active.parentElement.clientWidth / 3;
  }
})();
