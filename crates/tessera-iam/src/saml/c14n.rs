//! Exclusive XML Canonicalization 1.0 without comments
//! (`http://www.w3.org/2001/10/xml-exc-c14n#`), the form SAML signatures
//! digest and sign, over a parsed [`roxmltree`] subtree.
//!
//! The subtree's apex is rendered as the document subset of its element
//! and every descendant, less one excluded element (the enveloped
//! `Signature`). A namespace declaration is rendered on an element when
//! the element or one of its attributes visibly uses its prefix (or the
//! prefix is in the `InclusiveNamespaces` list) and the nearest rendered
//! ancestor did not already declare it with the same value. Attributes
//! are sorted by namespace URI then local name; namespace declarations
//! by prefix. Text and attribute values are escaped as the specification
//! says; comments are dropped; processing instructions are kept.
//!
//! The qualified names are taken from the input text as written, since
//! the prefix an element was written with is part of its canonical form.

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId, NodeType};

/// The prefix the default namespace stands for in the maps below.
const DEFAULT: &str = "";

/// The canonical form of `apex` and its descendants, less `excluded`
/// (and its descendants), rendering the prefixes in `inclusive` as
/// inclusive canonicalization would (`#default` for the default
/// namespace).
pub fn canonicalize(apex: Node<'_, '_>, excluded: Option<NodeId>, inclusive: &[&str]) -> String {
    let inclusive: Vec<&str> = inclusive
        .iter()
        .map(|p| if *p == "#default" { DEFAULT } else { p })
        .collect();
    let mut out = String::new();
    let mut rendered: BTreeMap<String, String> = BTreeMap::new();
    write_node(apex, excluded, &inclusive, &mut rendered, &mut out);
    out
}

fn write_node(
    node: Node<'_, '_>,
    excluded: Option<NodeId>,
    inclusive: &[&str],
    rendered: &mut BTreeMap<String, String>,
    out: &mut String,
) {
    if Some(node.id()) == excluded {
        return;
    }
    match node.node_type() {
        NodeType::Element => write_element(node, excluded, inclusive, rendered, out),
        NodeType::Text => escape_text(node.text().unwrap_or(""), out),
        NodeType::PI => {
            if let Some(pi) = node.pi() {
                out.push_str("<?");
                out.push_str(pi.target);
                if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                    out.push(' ');
                    out.push_str(value);
                }
                out.push_str("?>");
            }
        }
        NodeType::Comment | NodeType::Root => {}
    }
}

/// The prefix of a qualified name as written (`""` when it has none).
fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or(DEFAULT, |(prefix, _)| prefix)
}

/// The element's qualified name as written in the input.
fn element_qname<'i>(node: Node<'_, 'i>) -> &'i str {
    let text = node.document().input_text();
    let start = node.range().start + 1;
    let rest = text.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or("")
}

/// The namespace `prefix` stands for on `node` (`""` for an undeclared
/// default namespace).
fn namespace_for<'a>(node: Node<'a, '_>, prefix: &str) -> Option<&'a str> {
    if prefix == DEFAULT {
        Some(node.lookup_namespace_uri(None).unwrap_or(""))
    } else {
        node.lookup_namespace_uri(Some(prefix))
    }
}

fn write_element(
    node: Node<'_, '_>,
    excluded: Option<NodeId>,
    inclusive: &[&str],
    rendered: &mut BTreeMap<String, String>,
    out: &mut String,
) {
    let text = node.document().input_text();
    let qname = element_qname(node);
    // The prefixes this element visibly uses, then the inclusive ones
    // that are in scope.
    let mut used: Vec<&str> = vec![prefix_of(qname)];
    let mut attributes: Vec<(&str, &str, &str, &str)> = Vec::new();
    for attribute in node.attributes() {
        let attribute_qname = text.get(attribute.range_qname()).unwrap_or("");
        let prefix = if attribute.namespace().is_some() {
            prefix_of(attribute_qname)
        } else {
            DEFAULT
        };
        if prefix != DEFAULT && prefix != "xml" {
            used.push(prefix);
        }
        attributes.push((
            attribute.namespace().unwrap_or(""),
            attribute.name(),
            attribute_qname,
            attribute.value(),
        ));
    }
    for prefix in inclusive {
        let in_scope = *prefix == DEFAULT
            || node
                .namespaces()
                .any(|ns| ns.name() == Some(*prefix) && !ns.uri().is_empty());
        if in_scope {
            used.push(prefix);
        }
    }
    used.sort_unstable();
    used.dedup();

    let mut declarations: Vec<(String, String)> = Vec::new();
    for prefix in used {
        if prefix == "xml" {
            continue;
        }
        let Some(uri) = namespace_for(node, prefix) else {
            continue;
        };
        let already = rendered.get(prefix).map(String::as_str);
        let needed = match already {
            Some(previous) => previous != uri,
            // An empty default namespace needs no declaration unless an
            // ancestor rendered a non-empty one.
            None => !(prefix == DEFAULT && uri.is_empty()),
        };
        if needed {
            declarations.push((prefix.to_string(), uri.to_string()));
        }
    }

    out.push('<');
    out.push_str(qname);
    for (prefix, uri) in &declarations {
        if prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(prefix);
            out.push_str("=\"");
        }
        escape_attribute(uri, out);
        out.push('"');
    }
    attributes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, attribute_qname, value) in &attributes {
        out.push(' ');
        out.push_str(attribute_qname);
        out.push_str("=\"");
        escape_attribute(value, out);
        out.push('"');
    }
    out.push('>');

    let saved: Vec<(String, Option<String>)> = declarations
        .iter()
        .map(|(prefix, uri)| (prefix.clone(), rendered.insert(prefix.clone(), uri.clone())))
        .collect();
    for child in node.children() {
        write_node(child, excluded, inclusive, rendered, out);
    }
    for (prefix, previous) in saved {
        match previous {
            Some(uri) => rendered.insert(prefix, uri),
            None => rendered.remove(&prefix),
        };
    }
    out.push_str("</");
    out.push_str(qname);
    out.push('>');
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(xml: &str, path: &[&str], inclusive: &[&str]) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let mut node = doc.root_element();
        for name in path {
            node = node
                .children()
                .find(|c| c.tag_name().name() == *name)
                .unwrap();
        }
        canonicalize(node, None, inclusive)
    }

    // W3C Exclusive XML Canonicalization, section 2.2: the two documents
    // whose `n1:elem2` subsets differ under inclusive canonicalization
    // have the same exclusive form.
    #[test]
    fn the_w3c_example_subsets_canonicalize_alike() {
        let first = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>"#;
        let second = r#"<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:space="retain"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n2:pdu>"#;
        let expected = r#"<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#;
        assert_eq!(canon(first, &["elem2"], &[]), expected);
        assert_eq!(canon(second, &["elem2"], &[]), expected);
    }

    // W3C Canonical XML, section 3.3 (start and end tags): attribute and
    // namespace order, empty elements expanded, quotes normalized,
    // superfluous declarations dropped; exclusively, only the namespaces
    // an element uses are rendered.
    #[test]
    fn the_w3c_start_and_end_tags_example_is_canonical() {
        let xml = "<doc>\n   <e1   />\n   <e2   ></e2>\n   <e3   name = \"elem3\"   id=\"elem3\"   />\n   <e4   name=\"elem4\"   id=\"elem4\"   ></e4>\n   <e5 a:attr=\"out\" b:attr=\"sorted\" attr2=\"all\" attr=\"I'm\"\n      xmlns:b=\"http://www.ietf.org\"\n      xmlns:a=\"http://www.w3.org\"\n      xmlns=\"http://example.org\"/>\n   <e6 xmlns=\"\" xmlns:a=\"http://www.w3.org\">\n      <e7 xmlns=\"http://www.ietf.org\">\n         <e8 xmlns=\"\" xmlns:a=\"http://www.w3.org\">\n            <e9 xmlns=\"\" xmlns:a=\"http://www.ietf.org\"/>\n         </e8>\n      </e7>\n   </e6>\n</doc>";
        let expected = "<doc>\n   <e1></e1>\n   <e2></e2>\n   <e3 id=\"elem3\" name=\"elem3\"></e3>\n   <e4 id=\"elem4\" name=\"elem4\"></e4>\n   <e5 xmlns=\"http://example.org\" xmlns:a=\"http://www.w3.org\" xmlns:b=\"http://www.ietf.org\" attr=\"I'm\" attr2=\"all\" b:attr=\"sorted\" a:attr=\"out\"></e5>\n   <e6>\n      <e7 xmlns=\"http://www.ietf.org\">\n         <e8 xmlns=\"\">\n            <e9></e9>\n         </e8>\n      </e7>\n   </e6>\n</doc>";
        assert_eq!(canon(xml, &[], &[]), expected);
    }

    // W3C Canonical XML, section 3.4 (character modifications): entity
    // and character references replaced, special characters escaped.
    #[test]
    fn the_w3c_character_modifications_example_is_canonical() {
        let xml = "<doc>\n   <text>First line&#x0d;&#10;Second line</text>\n   <value>&#x32;</value>\n   <compute><![CDATA[value>\"0\" && value<\"10\" ?\"valid\":\"error\"]]></compute>\n   <compute expr='value>\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"'>valid</compute>\n   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>\n</doc>";
        let expected = "<doc>\n   <text>First line&#xD;\nSecond line</text>\n   <value>2</value>\n   <compute>value&gt;\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"</compute>\n   <compute expr=\"value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;\">valid</compute>\n   <norm attr=\" '    &#xD;&#xA;&#x9;   ' \"></norm>\n</doc>";
        assert_eq!(canon(xml, &[], &[]), expected);
    }

    #[test]
    fn inclusive_prefixes_are_rendered_where_in_scope() {
        let xml = r#"<a:root xmlns:a="urn:a" xmlns:xs="urn:xs"><a:child/></a:root>"#;
        assert_eq!(
            canon(xml, &["child"], &["xs"]),
            r#"<a:child xmlns:a="urn:a" xmlns:xs="urn:xs"></a:child>"#
        );
        assert_eq!(
            canon(xml, &["child"], &[]),
            r#"<a:child xmlns:a="urn:a"></a:child>"#
        );
    }

    #[test]
    fn the_excluded_element_leaves_no_trace() {
        let xml = r#"<r xmlns:ds="urn:ds"><ds:Signature><ds:x/></ds:Signature><k>v</k></r>"#;
        let doc = roxmltree::Document::parse(xml).unwrap();
        let signature = doc.root_element().first_element_child().unwrap();
        assert_eq!(
            canonicalize(doc.root_element(), Some(signature.id()), &[]),
            "<r><k>v</k></r>"
        );
    }
}
