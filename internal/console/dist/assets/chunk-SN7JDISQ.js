import{a,b,c,d}from"./chunk-HKPTSUAB.js";import"./chunk-H7LM4PKL.js";import"./chunk-6Z4K6NR3.js";import"./chunk-XQT7O4XN.js";export{d as DepGraph,a as MAX_DRAWN,c as impactElements,b as kindColour};
