/*
 * Guichet: progressive enhancement only; every flow works without this file.
 *
 * Readable source, served as is (no build step, no minifier): keep it ES5-level
 * plus what today's supported browsers all take (Array.from, dataset, classList).
 * Its gzipped weight is checked by tests/test_static_weight.py (≤ 3 KB).
 */
(function () {
    "use strict";

    var MINUTE = 60000;

    // Styles for enhanced pages hang on `.js` (drop hint shown, no-JS-only parts hidden).
    document.documentElement.classList.add("js");

    // Calls callback on every element matching selector inside root (the document by default).
    function forEachMatch(selector, root, callback) {
        var elements = (root || document).querySelectorAll(selector);
        Array.prototype.forEach.call(elements, callback);
    }

    // Error summary: the first [data-autofocus] element gets the focus.
    function focusErrorSummary(root) {
        var summary = (root || document).querySelector("[data-autofocus]");
        if (summary) {
            summary.focus();
        }
    }

    // Live character counter, in code points (as the server counts), announced once typing pauses.
    function setUpCounters(root) {
        forEachMatch("[data-counter-for]", root, function (counter) {
            if (counter.dataset.ready) {
                return;
            }
            counter.dataset.ready = 1;
            var textarea = document.getElementById(counter.dataset.counterFor);
            var maxLength = +counter.dataset.max;
            var liveRegion = document.getElementById(counter.id + "-live");
            var announceTimer;
            if (!textarea) {
                return;
            }

            function counterText() {
                var length = Array.from(textarea.value.replace(/\r\n/g, "\n")).length;
                var remaining = maxLength - length;
                if (remaining >= 0) {
                    var plural = remaining > 1 ? "s" : "";
                    return remaining + " caractère" + plural + " restant" + plural + ".";
                }
                var excess = -remaining;
                return "Vous avez dépassé la limite de " + excess + " caractère" + (excess > 1 ? "s" : "") + ".";
            }

            // Called with an event on input, without one for the first display (not announced).
            function updateCounter(event) {
                var text = counterText();
                counter.textContent = text;
                counter.classList.toggle("counter--over", text.charAt(0) == "V");
                clearTimeout(announceTimer);
                if (liveRegion && event) {
                    announceTimer = setTimeout(function () {
                        liveRegion.textContent = text;
                    }, 1200);
                }
            }

            textarea.addEventListener("input", updateCounter);
            updateCounter();
        });
    }

    // Drop zones: files dropped on the zone go to its file input (htmx uploads them on change).
    function setUpDropZones(root) {
        forEachMatch("[data-dropzone]", root, function (zone) {
            if (zone.dataset.ready) {
                return;
            }
            zone.dataset.ready = 1;
            var fileInput = zone.querySelector("input[type=file]");
            if (!fileInput) {
                return;
            }
            ["dragenter", "dragover"].forEach(function (eventName) {
                zone.addEventListener(eventName, function (event) {
                    event.preventDefault();
                    zone.classList.add("attachments--dragover");
                });
            });
            ["dragleave", "drop"].forEach(function (eventName) {
                zone.addEventListener(eventName, function (event) {
                    event.preventDefault();
                    zone.classList.remove("attachments--dragover");
                });
            });
            zone.addEventListener("drop", function (event) {
                if (!event.dataTransfer.files.length) {
                    return;
                }
                fileInput.files = event.dataTransfer.files;
                fileInput.dispatchEvent(new Event("change", {bubbles: true}));
            });
        });
    }

    // Modal dialogs: the open <dialog> becomes modal, focus on its title; Escape follows [data-cancel].
    function setUpDialogs(root) {
        forEachMatch("dialog[data-modal]", root, function (dialog) {
            if (dialog.dataset.ready || !dialog.showModal) {
                return;
            }
            dialog.dataset.ready = 1;
            dialog.oncancel = function (event) {
                event.preventDefault();
                dialog.querySelector("[data-cancel]").click();
            };
            dialog.close();
            dialog.showModal();
            dialog.querySelector("[tabindex]").focus();
        });
    }

    // Enhancements for the page, then for each fragment htmx swaps in.
    function setUpComponents(root) {
        setUpCounters(root);
        setUpDropZones(root);
        setUpDialogs(root);
    }

    // Idle session warning, shown a few minutes before the session expires. Typing is activity:
    // one keep-alive a minute at most, none once the session has surely expired
    // (the next post keeps what was typed).
    function setUpIdleWarning() {
        var body = document.body;
        var idleDelay = body.dataset.idleMinutes * MINUTE;
        if (!idleDelay) {
            return;
        }
        var warning = document.getElementById("session-warning");
        var continueButton = document.getElementById("session-continue");
        var warningTimer;
        var lastActivity;

        // Restarts the countdown: the server's session was just touched.
        function restartCountdown() {
            lastActivity = Date.now();
            clearTimeout(warningTimer);
            var warningDelay = idleDelay - (body.dataset.warningMinutes || 5) * MINUTE;
            warningTimer = setTimeout(function () {
                warning.hidden = false;
                continueButton.focus();
            }, warningDelay);
        }

        // Keeps the session alive, unless it was touched less than a minute ago or has surely expired.
        function keepAlive() {
            var sinceLastActivity = Date.now() - lastActivity;
            var headers = JSON.parse(body.getAttribute("hx-headers"));
            warning.hidden = true;
            if (sinceLastActivity < MINUTE || sinceLastActivity > idleDelay - MINUTE) {
                return;
            }
            var request = new XMLHttpRequest();
            request.open("POST", body.dataset.keepaliveUrl);
            for (var name in headers) {
                request.setRequestHeader(name, headers[name]);
            }
            request.send();
            restartCountdown();
        }

        continueButton.onclick = keepAlive;
        document.addEventListener("input", keepAlive);
        document.addEventListener("htmx:afterRequest", restartCountdown);
        restartCountdown();
    }

    document.addEventListener("DOMContentLoaded", function () {
        setUpComponents(document);
        focusErrorSummary(document);
        setUpIdleWarning();
    });

    document.addEventListener("htmx:afterSettle", function (event) {
        setUpComponents(event.detail.elt);
        focusErrorSummary(event.detail.elt);
    });

    // The button htmx disabled while its request ran lost the focus: give it back if it is still there.
    var focusedBeforeRequest;
    document.addEventListener("htmx:beforeRequest", function () {
        focusedBeforeRequest = document.activeElement;
    });
    document.addEventListener("htmx:afterRequest", function () {
        var focusLost = document.activeElement == document.body;
        if (focusedBeforeRequest && focusLost && document.contains(focusedBeforeRequest)) {
            focusedBeforeRequest.focus();
        }
        focusedBeforeRequest = null;
    });
})();
