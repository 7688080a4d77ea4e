/* Guichet: progressive enhancement only; every flow works without this file. */
(function(){
"use strict";
var d=document;d.documentElement.classList.add("js");
function each(sel,root,fn){Array.prototype.forEach.call((root||d).querySelectorAll(sel),fn)}
/* Focus the error summary. */
function focusSummary(root){var s=(root||d).querySelector("[data-autofocus]");if(s)s.focus()}
/* Live counter in code points, announced once typing pauses. */
function counters(root){each("[data-counter-for]",root,function(out){
 if(out.dataset.ready)return;out.dataset.ready=1;
 var ta=d.getElementById(out.dataset.counterFor),max=+out.dataset.max,live=d.getElementById(out.id+"-live"),t;
 if(!ta)return;
 function text(){var n=max-Array.from(ta.value.replace(/\r\n/g,"\n")).length;
  return n>=0?n+" caractère"+(n>1?"s":"")+" restant"+(n>1?"s":"")+".":"Vous avez dépassé la limite de "+(-n)+" caractère"+(-n>1?"s":"")+"."}
 function upd(e){var s=text();out.textContent=s;out.classList.toggle("counter--over",s.charAt(0)=="V");
  clearTimeout(t);if(live&&e)t=setTimeout(function(){live.textContent=s},1200)}
 ta.addEventListener("input",upd);upd()})}
/* Drop zones: dropped files go to the file input. */
function dropzones(root){each("[data-dropzone]",root,function(z){
 if(z.dataset.ready)return;z.dataset.ready=1;var inp=z.querySelector("input[type=file]");if(!inp)return;
 ["dragenter","dragover"].forEach(function(e){z.addEventListener(e,function(ev){ev.preventDefault();z.classList.add("attachments--dragover")})});
 ["dragleave","drop"].forEach(function(e){z.addEventListener(e,function(ev){ev.preventDefault();z.classList.remove("attachments--dragover")})});
 z.addEventListener("drop",function(ev){if(!ev.dataTransfer.files.length)return;inp.files=ev.dataTransfer.files;inp.dispatchEvent(new Event("change",{bubbles:true}))})})}
/* Modal dialogs: focus on the title; Escape follows [data-cancel]. */
function dialogs(root){each("dialog[data-modal]",root,function(g){if(g.dataset.ready||!g.showModal)return;g.dataset.ready=1;
 g.oncancel=function(e){e.preventDefault();g.querySelector("[data-cancel]").click()};
 g.close();g.showModal();g.querySelector("[tabindex]").focus()})}
function init(root){counters(root);dropzones(root);dialogs(root)}
/* Idle session warning. Typing is activity: one keep-alive a minute at most, none once the
   session has surely expired (the next post keeps what was typed). */
function idle(){var b=d.body,ms=b.dataset.idleMinutes*6e4;if(!ms)return;
 var warn=d.getElementById("session-warning"),btn=d.getElementById("session-continue"),t,last;
 function arm(){last=Date.now();clearTimeout(t);t=setTimeout(function(){warn.hidden=false;btn.focus()},ms-(b.dataset.warningMinutes||5)*6e4)}
 function ping(){var n=Date.now()-last,x=new XMLHttpRequest(),h=JSON.parse(b.getAttribute("hx-headers")),k;
  warn.hidden=true;if(n<6e4||n>ms-6e4)return;x.open("POST",b.dataset.keepaliveUrl);
  for(k in h)x.setRequestHeader(k,h[k]);x.send();arm()}
 btn.onclick=ping;d.addEventListener("input",ping);d.addEventListener("htmx:afterRequest",arm);arm()}
d.addEventListener("DOMContentLoaded",function(){init(d);focusSummary(d);idle()});
d.addEventListener("htmx:afterSettle",function(e){init(e.detail.elt);focusSummary(e.detail.elt)});
/* The button htmx disabled while its request ran lost the focus: give it back if it is still there. */
var was;d.addEventListener("htmx:beforeRequest",function(){was=d.activeElement});
d.addEventListener("htmx:afterRequest",function(){if(was&&d.activeElement==d.body&&d.contains(was))was.focus();was=null});
})();
