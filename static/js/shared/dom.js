/* DOM helpers shared by the pages. Data goes into the DOM as text or attributes, never as HTML. */

/** Set attributes; "style" is CSS text, "--name" a custom property, null/undefined/false are skipped. */
export function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "style") node.style.cssText = value;
    else if (name.startsWith("--")) node.style.setProperty(name, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
}

/** An element with attributes and children (nodes, or anything else as text). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and, optionally, text. */
export function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** An <svg> from a scene the server drew ({width, height, label, elements: [{tag, attrs, text}]}). */
export function svgScene(scene, className) {
  const root = svg("svg", { class: className, viewBox: `0 0 ${scene.width} ${scene.height}`, role: "img",
    "aria-label": scene.label });
  for (const part of scene.elements) root.append(svg(part.tag, part.attrs, part.text));
  return root;
}

/** A CSS colour from the layer files, or slate grey for anything that is not a hex colour. */
export function color(value) {
  return /^#[0-9a-f]{3,8}$/i.test(value || "") ? value : "#64748b";
}
