//! CRD `x-kubernetes-validations` rules, compiled with the `cel` crate and
//! evaluated against each node of an object the way kube-apiserver does:
//! `self` is the node, failures are reported at the node's path as
//! `Invalid value: "<schema type>": <message>`, runtime errors as
//! `<error> evaluating rule: <message>`.
//!
//! Transition rules (those that use `oldSelf`) run only on updates where the
//! old node exists, like the real server. Rules that the `cel` crate cannot
//! parse are not enforced; [`CompiledRules::unsupported`] lists them so tests
//! can assert the rules that matter are covered.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::status::Cause;

struct Rule {
    source: String,
    program: cel::Program,
    message: String,
    reason: String,
    field_path: String,
    transition: bool,
}

#[derive(Default)]
struct Node {
    ty: String,
    rules: Vec<Rule>,
    properties: BTreeMap<String, Node>,
    items: Option<Box<Node>>,
    additional: Option<Box<Node>>,
}

/// The compiled rule tree of one CRD version schema.
#[derive(Default)]
pub struct CompiledRules {
    root: Option<Node>,
    unsupported: Vec<String>,
}

fn compile_node(s: &Value, unsupported: &mut Vec<String>) -> Option<Node> {
    let mut n =
        Node { ty: s.get("type").and_then(Value::as_str).unwrap_or("object").to_string(), ..Node::default() };
    if let Some(rules) = s.get("x-kubernetes-validations").and_then(Value::as_array) {
        for r in rules {
            let source = r["rule"].as_str().unwrap_or_default().to_string();
            match cel::Program::compile(&source) {
                Ok(program) => n.rules.push(Rule {
                    transition: source.contains("oldSelf"),
                    message: r["message"]
                        .as_str()
                        .map_or_else(|| format!("failed rule: {source}"), str::to_string),
                    reason: r["reason"].as_str().unwrap_or("FieldValueInvalid").to_string(),
                    field_path: r["fieldPath"].as_str().unwrap_or_default().to_string(),
                    source,
                    program,
                }),
                Err(_) => unsupported.push(source),
            }
        }
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (k, ps) in props {
            if let Some(c) = compile_node(ps, unsupported) {
                n.properties.insert(k.clone(), c);
            }
        }
    }
    if let Some(is) = s.get("items") {
        n.items = compile_node(is, unsupported).map(Box::new);
    }
    if let Some(ap @ Value::Object(_)) = s.get("additionalProperties") {
        n.additional = compile_node(ap, unsupported).map(Box::new);
    }
    let empty = n.rules.is_empty() && n.properties.is_empty() && n.items.is_none() && n.additional.is_none();
    if empty { None } else { Some(n) }
}

fn cel_error(e: &cel::ExecutionError) -> String {
    match e {
        cel::ExecutionError::NoSuchKey(k) => format!("no such key: {k}"),
        other => {
            let s = other.to_string();
            let mut c = s.chars();
            c.next().map(|f| f.to_lowercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}

impl CompiledRules {
    /// Compile every rule of an `openAPIV3Schema` (nothing for `None`).
    pub fn compile(schema: Option<&Value>) -> CompiledRules {
        let mut unsupported = Vec::new();
        let root = schema.and_then(|s| compile_node(s, &mut unsupported));
        CompiledRules { root, unsupported }
    }

    /// Rules the CEL engine could not parse (and so does not enforce).
    pub fn unsupported(&self) -> &[String] {
        &self.unsupported
    }

    /// Evaluate all rules against `obj` (and `old` for transition rules).
    pub fn evaluate(&self, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
        let mut out = Vec::new();
        if let Some(root) = &self.root {
            eval_node(root, obj, old, "", &mut out);
        }
        out
    }
}

/// Evaluate with cel-go's error semantics for the logical operators, which
/// kube-apiserver's messages reflect: `a || b` and `a && b` are decided by any
/// side that decides them, and when both sides fail the *left* error wins
/// (the `cel` crate reports the right one). Everything else is the crate's.
fn eval_go(
    ctx: &cel::Context<'_, '_>,
    e: &cel::common::ast::IdedExpr,
) -> Result<cel::Value, cel::ExecutionError> {
    use cel::common::ast::{Expr, operators};
    if let Expr::Call(call) = &e.expr {
        if call.target.is_none() && call.args.len() == 2 {
            let or = call.func_name == operators::LOGICAL_OR;
            if or || call.func_name == operators::LOGICAL_AND {
                let decisive = cel::Value::Bool(or);
                let l = eval_go(ctx, &call.args[0]);
                if matches!(&l, Ok(v) if *v == decisive) {
                    return l;
                }
                let r = eval_go(ctx, &call.args[1]);
                if matches!(&r, Ok(v) if *v == decisive) {
                    return r;
                }
                return match (l, r) {
                    (Err(e), _) | (_, Err(e)) => Err(e),
                    (Ok(_), Ok(_)) => Ok(cel::Value::Bool(!or)),
                };
            }
        }
        if call.target.is_none() && call.args.len() == 3 && call.func_name == operators::CONDITIONAL {
            return match eval_go(ctx, &call.args[0])? {
                cel::Value::Bool(true) => eval_go(ctx, &call.args[1]),
                cel::Value::Bool(false) => eval_go(ctx, &call.args[2]),
                _ => ctx.resolve(e),
            };
        }
    }
    ctx.resolve(e)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn eval_node(n: &Node, v: &Value, old: Option<&Value>, path: &str, out: &mut Vec<Cause>) {
    // Children first matches the order the real validator reports in.
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let top_meta = path.is_empty() && matches!(k.as_str(), "metadata" | "apiVersion" | "kind");
                let child = n.properties.get(k).or(n.additional.as_deref());
                if let (Some(cn), false) = (child, top_meta) {
                    eval_node(cn, c, old.and_then(|o| o.get(k)), &join(path, k), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(inode) = &n.items {
                for (i, it) in items.iter().enumerate() {
                    // Correlating old list items needs map keys; transition rules on
                    // items are evaluated only when the index holds the same item.
                    let old_item = old.and_then(|o| o.get(i));
                    eval_node(inode, it, old_item, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
    if n.rules.is_empty() {
        return;
    }
    let Ok(self_val) = cel::to_value(v) else { return };
    let old_val = old.and_then(|o| cel::to_value(o).ok());
    for r in &n.rules {
        if r.transition && old_val.is_none() {
            continue;
        }
        let mut ctx = cel::Context::default();
        ctx.add_variable_from_value("self", self_val.clone());
        if let Some(ov) = &old_val {
            ctx.add_variable_from_value("oldSelf", ov.clone());
        }
        let field =
            if r.field_path.is_empty() { path.to_string() } else { format!("{path}{}", r.field_path) };
        let detail = match eval_go(&ctx, r.program.expression()) {
            Ok(cel::Value::Bool(true)) => continue,
            Ok(_) => r.message.clone(),
            Err(e) => format!("{} evaluating rule: {}", cel_error(&e), r.message),
        };
        let _ = &r.source;
        out.push(Cause {
            reason: r.reason.clone(),
            message: format!("Invalid value: {:?}: {detail}", n.ty),
            field,
        });
    }
}
