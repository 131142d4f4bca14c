import{a,b,c,d}from"./chunk-ZELW7UFE.js";import"./chunk-JUWTONRH.js";import"./chunk-XQT7O4XN.js";export{d as DepGraph,a as MAX_DRAWN,c as impactElements,b as kindColour};
