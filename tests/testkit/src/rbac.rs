//! A small RBAC model: the rules the test grants to the kubeconfig's user,
//! used to answer SelfSubjectAccessReview and to refuse requests with 403.

/// One allow rule, shaped like an RBAC `PolicyRule` plus an optional namespace
/// restriction (what a RoleBinding would give).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    /// Verbs (`get`, `list`, `create`, `update`, `patch`, `delete`, ... or `*`).
    pub verbs: Vec<String>,
    /// API groups (`""` for core, or `*`).
    pub groups: Vec<String>,
    /// Resources, optionally with a subresource (`gateways/status`), or `*`.
    pub resources: Vec<String>,
    /// Resource names; empty means all.
    pub names: Vec<String>,
    /// Namespaces the rule applies in (a Role bound there); empty means cluster-wide.
    pub namespaces: Vec<String>,
}

impl Rule {
    /// Allow `verbs` on `resources` in `group`, cluster-wide.
    pub fn allow(group: &str, resources: &[&str], verbs: &[&str]) -> Rule {
        Rule {
            verbs: verbs.iter().map(|s| (*s).to_string()).collect(),
            groups: vec![group.to_string()],
            resources: resources.iter().map(|s| (*s).to_string()).collect(),
            ..Rule::default()
        }
    }

    /// Restrict the rule to the given namespaces.
    #[must_use]
    pub fn in_namespaces(mut self, namespaces: &[&str]) -> Rule {
        self.namespaces = namespaces.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// Restrict the rule to the given object names.
    #[must_use]
    pub fn named(mut self, names: &[&str]) -> Rule {
        self.names = names.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// Everything, everywhere (cluster-admin).
    pub fn cluster_admin() -> Rule {
        Rule::allow("*", &["*"], &["*"])
    }

    fn matches(&self, a: &Attributes) -> bool {
        let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
        let resource = match &a.subresource {
            Some(s) => format!("{}/{s}", a.resource),
            None => a.resource.clone(),
        };
        any(&self.verbs, &a.verb)
            && any(&self.groups, &a.group)
            && (any(&self.resources, &resource)
                || self
                    .resources
                    .iter()
                    .any(|r| r == &format!("*/{}", a.subresource.clone().unwrap_or_default())))
            && (self.names.is_empty() || a.name.as_ref().is_some_and(|n| self.names.contains(n)))
            && (self.namespaces.is_empty()
                || a.namespace.as_ref().is_some_and(|n| self.namespaces.contains(n)))
    }
}

/// What a request asks to do, as the authorizer sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    /// Verb.
    pub verb: String,
    /// API group.
    pub group: String,
    /// Resource plural.
    pub resource: String,
    /// Subresource.
    pub subresource: Option<String>,
    /// Namespace (None for cluster scope).
    pub namespace: Option<String>,
    /// Object name.
    pub name: Option<String>,
}

/// Whether any rule allows `a`.
pub fn allowed(rules: &[Rule], a: &Attributes) -> bool {
    rules.iter().any(|r| r.matches(a))
}

/// RBAC's denial text, e.g. `User "test-user" cannot list resource "secrets" in API group "" in the namespace "runai"`.
pub fn denial(user: &str, a: &Attributes) -> String {
    let resource = match &a.subresource {
        Some(s) => format!("{}/{s}", a.resource),
        None => a.resource.clone(),
    };
    let scope = match &a.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    format!("User \"{user}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}", a.verb, a.group)
}
