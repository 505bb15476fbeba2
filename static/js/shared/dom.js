/* Yuren Map (育人地图): building DOM for every page.
 *
 * Data goes into the DOM as text nodes and attributes, never parsed as HTML, so a name from the
 * data cannot become markup.
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/** Set attributes; "style" is CSS text, "--name" a custom property, null/undefined/false are skipped. */
export function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "style") node.style.cssText = value;
    else if (name.startsWith("--")) node.style.setProperty(name, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
}

function build(node, attrs, children) {
  setAttrs(node, attrs);
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

/** An HTML element with attributes and children (nodes, or anything else as text). */
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for an SVG element (charts, map keys): ``svg("text", {x: 4}, "label")``. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A CSS colour from the layer files, or slate grey for anything that is not a hex colour. */
export function color(value) {
  return /^#[0-9a-f]{3,8}$/i.test(value || "") ? value : "#64748b";
}
