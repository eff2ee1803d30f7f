// The chart page's style sheet and script, compiled into the binary (nothing is fetched from
// elsewhere: no CDN, no third-party code).
#pragma once

namespace finstream::ui::assets {

/// Style sheet of every page.
inline constexpr const char* css = R"CSS(
:root{--bg:#0d1117;--panel:#111821;--line:#1f2a37;--muted:#7d8b99;--text:#d6dee7;--accent:#58a6ff;
--up:#22c39a;--down:#f0616d}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",
"DejaVu Sans",sans-serif}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:18px;padding:10px 24px;background:#0a0e14;
border-bottom:1px solid var(--line)}
header.top .brand{font-weight:700;letter-spacing:.04em;color:var(--text);font-size:16px}
header.top .brand b{color:var(--accent)}
header.top .crumbs{color:var(--muted)}
main{padding:18px 24px 32px;max-width:1320px;margin:0 auto}
h1{font-size:26px;margin:0;font-weight:650;letter-spacing:.01em}
.muted{color:var(--muted)}
.up{color:var(--up)}.down{color:var(--down)}
.headline{display:flex;align-items:baseline;gap:16px;flex-wrap:wrap;margin-bottom:6px}
.headline .price{font-size:24px;font-variant-numeric:tabular-nums}
.headline .chg{font-size:15px;font-variant-numeric:tabular-nums}
.controls{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:12px 0}
.ranges a{display:inline-block;padding:4px 11px;border:1px solid var(--line);border-radius:6px;
color:var(--text);margin-right:4px;background:var(--panel)}
.ranges a.on{background:var(--accent);border-color:var(--accent);color:#06101c;font-weight:600}
.ranges a:hover{text-decoration:none;border-color:var(--accent)}
form.custom{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
form.custom input[type=date]{background:var(--panel);color:var(--text);border:1px solid var(--line);
border-radius:6px;padding:3px 6px;color-scheme:dark}
form.custom button{background:var(--panel);color:var(--text);border:1px solid var(--accent);
border-radius:6px;padding:4px 12px;cursor:pointer}
details.add{position:relative}
details.add summary{cursor:pointer;padding:4px 11px;border:1px solid var(--line);border-radius:6px;
background:var(--panel);list-style:none}
details.add .menu{position:absolute;z-index:3;top:32px;left:0;background:#0a0e14;
border:1px solid var(--line);border-radius:8px;padding:8px 12px;columns:2;min-width:340px}
details.add label{display:block;white-space:nowrap;padding:2px 0}
#readout{display:flex;flex-wrap:wrap;gap:4px 16px;min-height:24px;font-variant-numeric:tabular-nums;
font-size:13px;color:var(--muted);margin:4px 0 8px}
#readout b{color:var(--text);font-weight:600}
#readout i{display:inline-block;width:10px;height:3px;margin-right:5px;vertical-align:middle;
border-radius:2px}
.chartbox{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:6px}
svg.chart{display:block;width:100%;height:auto;font:11px "DejaVu Sans",system-ui,sans-serif}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart .axis{fill:var(--muted)}
svg.chart .ptitle{fill:var(--text);font-size:12px;font-weight:600}
svg.chart .legend{font-size:11.5px}
svg.chart path.l{fill:none;stroke-width:1.4;stroke-linejoin:round}
svg.chart #xhair{stroke:#8b98a5;stroke-dasharray:3 3;visibility:hidden}
.note{color:var(--muted);font-size:12.5px;margin-top:8px}
table.symbols{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
table.symbols th{text-align:right;color:var(--muted);font-weight:500;font-size:12.5px;
padding:8px 10px;border-bottom:1px solid var(--line)}
table.symbols td{text-align:right;padding:7px 10px;border-bottom:1px solid #161f2a}
table.symbols th:first-child,table.symbols td:first-child{text-align:left}
table.symbols tr:hover td{background:#141c27}
table.symbols td.sym a{font-weight:650;color:var(--text)}
table.symbols td.spark{width:130px}
.filter{background:var(--panel);border:1px solid var(--line);color:var(--text);border-radius:6px;
padding:6px 10px;width:240px;margin:12px 0}
.pill{display:inline-block;font-size:11.5px;padding:1px 8px;border-radius:10px;background:#1f2a37}
.pill.failed{background:#4a1d22;color:#ffb3b8}
.error{max-width:640px;margin:80px auto;text-align:center}
.error .code{font-size:72px;font-weight:700;color:var(--accent);line-height:1}
.error h1{margin:12px 0}
)CSS";

/// The chart's hover read-out: reads the page's JSON (#chart-data) and the SVG's x scale
/// (data-x0, data-step) and shows the values of the bar under the pointer.
inline constexpr const char* chart_js = R"JS(
(function(){
var svg=document.getElementById('chart');var el=document.getElementById('chart-data');
if(!svg||!el)return;var d=JSON.parse(el.textContent);var ro=document.getElementById('readout');
var x0=+svg.dataset.x0,step=+svg.dataset.step,n=d.dates.length,h=document.getElementById('xhair');
function f(v,k){if(v===null||v===undefined)return'-';if(k==='volume'){var a=Math.abs(v);
return a>=1e9?(v/1e9).toFixed(2)+'B':a>=1e6?(v/1e6).toFixed(2)+'M':a>=1e3?(v/1e3).toFixed(1)+'K':''+v;}
var a=Math.abs(v);return v.toFixed(a>=1000?1:a>=1?2:4);}
function show(i){var s='<span><b>'+d.dates[i]+'</b></span>';d.readout.forEach(function(r){
s+='<span>'+(r.color?'<i style="background:'+r.color+'"></i>':'')+r.label+' <b>'+
f(d.series[r.key][i],r.key)+'</b></span>';});ro.innerHTML=s;}
svg.addEventListener('mousemove',function(e){var p=svg.createSVGPoint();p.x=e.clientX;p.y=e.clientY;
var q=p.matrixTransform(svg.getScreenCTM().inverse());var i=Math.floor((q.x-x0)/step);
if(i<0||i>=n)return;var x=x0+(i+0.5)*step;h.setAttribute('x1',x);h.setAttribute('x2',x);
h.style.visibility='visible';show(i);});
svg.addEventListener('mouseleave',function(){h.style.visibility='hidden';show(n-1);});
var form=document.querySelector('form.custom');if(form)form.querySelectorAll('input[type=checkbox]')
.forEach(function(c){c.addEventListener('change',function(){form.submit();});});
if(n>0)show(n-1);svg.setAttribute('data-ready','1');
})();
)JS";

/// The symbol list's filter box.
inline constexpr const char* index_js = R"JS(
(function(){var i=document.getElementById('filter');if(!i)return;i.addEventListener('input',function(){
var q=i.value.trim().toUpperCase();document.querySelectorAll('table.symbols tbody tr').forEach(function(r){
r.style.display=r.dataset.symbol.indexOf(q)>=0?'':'none';});});})();
)JS";

} // namespace finstream::ui::assets
