//! The OpenAPI document served at `/openapi.json`, built with utoipa from the route list.
//! Bodies are described in docs/server.md; this document names every operation, its
//! parameters, statuses and security so clients and scanners can discover the API.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    path, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, ResponseBuilder, Responses,
};

/// (method, path, summary, needs a token, success status).
const OPERATIONS: &[(&str, &str, &str, bool, &str)] = &[
    (
        "get",
        "/api/v1/whoami",
        "The token's own record",
        true,
        "200",
    ),
    (
        "get",
        "/api/v1/tokens",
        "List tokens (never their values)",
        true,
        "200",
    ),
    (
        "post",
        "/api/v1/tokens",
        "Create a named token; its value is returned once",
        true,
        "201",
    ),
    (
        "delete",
        "/api/v1/tokens/{id}",
        "Revoke a token",
        true,
        "204",
    ),
    ("get", "/api/v1/tenants", "List tenants", true, "200"),
    (
        "post",
        "/api/v1/tenants",
        "Create a tenant (and its first keyset)",
        true,
        "201",
    ),
    (
        "get",
        "/api/v1/tenants/{tenant}/policy",
        "The current policy text and version",
        true,
        "200",
    ),
    (
        "post",
        "/api/v1/tenants/{tenant}/policy",
        "Publish a policy (body: policy JSON) as the next version",
        true,
        "201",
    ),
    (
        "post",
        "/api/v1/tenants/{tenant}/policy/validate",
        "Validate a policy without publishing",
        true,
        "200",
    ),
    (
        "get",
        "/api/v1/tenants/{tenant}/history",
        "Published versions, newest first, with diffs",
        true,
        "200",
    ),
    (
        "get",
        "/api/v1/tenants/{tenant}/history/{version}",
        "One published version's policy",
        true,
        "200",
    ),
    (
        "post",
        "/api/v1/tenants/{tenant}/rollback",
        "Publish an old version's policy as a new version",
        true,
        "201",
    ),
    (
        "get",
        "/api/v1/keys",
        "The public signing and root key ids, keyset versions",
        true,
        "200",
    ),
    (
        "post",
        "/api/v1/keys/rotate",
        "Rotate the signing key",
        true,
        "200",
    ),
    (
        "get",
        "/api/v1/tenants/{tenant}/deploy",
        "What to hand out for a tenant: keyset, Thunderbird's policies.json, .xpi and Outlook manifest links",
        true,
        "200",
    ),
    (
        "get",
        "/api/v1/tenants/{tenant}/deploy/outlook-manifest.xml",
        "The tenant's Outlook manifest for this server's public URL (query: send_mode)",
        true,
        "200",
    ),
    (
        "get",
        "/api/v1/tenants/{tenant}/reports",
        "The dashboard's figures from devices' reports (query: days)",
        true,
        "200",
    ),
    (
        "post",
        "/v1/tenants/{tenant}/reports",
        "A device's counts for one day and policy version (docs/privacy.md)",
        false,
        "200",
    ),
    (
        "get",
        "/v1/tenants/{tenant}/policy",
        "The signed policy bundle (ETag; If-None-Match gets 304)",
        false,
        "200",
    ),
    (
        "get",
        "/v1/tenants/{tenant}/policy/events",
        "Server-Sent Events: one `policy` event per version",
        false,
        "200",
    ),
    (
        "get",
        "/v1/tenants/{tenant}/keyset",
        "The signed keyset",
        false,
        "200",
    ),
    ("get", "/healthz", "Liveness", false, "200"),
    (
        "get",
        "/readyz",
        "Readiness (the database answers)",
        false,
        "200",
    ),
    ("get", "/metrics", "Prometheus metrics", false, "200"),
];

pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for &(method, route, summary, secured, status) in OPERATIONS {
        let mut responses = Responses::new();
        responses.responses.insert(
            status.into(),
            ResponseBuilder::new().description(summary).build().into(),
        );
        let error = ResponseBuilder::new()
            .description("`{\"error\": {\"code\", \"message\"}}`")
            .build();
        responses.responses.insert("default".into(), error.into());
        let mut operation = path::OperationBuilder::new()
            .summary(Some(summary))
            .responses(responses);
        for name in route
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            operation = operation.parameter(
                path::ParameterBuilder::new()
                    .name(name)
                    .parameter_in(path::ParameterIn::Path)
                    .required(utoipa::openapi::Required::True),
            );
        }
        if secured {
            operation = operation.security(utoipa::openapi::security::SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            ));
        }
        let method = match method {
            "get" => path::HttpMethod::Get,
            "post" => path::HttpMethod::Post,
            "put" => path::HttpMethod::Put,
            _ => path::HttpMethod::Delete,
        };
        paths = paths.path(route, PathItem::new(method, operation.build()));
    }
    let mut document = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Sendguard policy server")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths.build())
        .build();
    let scheme = SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
    document
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme("bearer", scheme);
    document
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_route_with_its_parameters() {
        let json = serde_json::to_value(super::document()).unwrap();
        let paths = json["paths"].as_object().unwrap();
        assert!(paths.contains_key("/v1/tenants/{tenant}/policy"));
        let publish = &paths["/api/v1/tenants/{tenant}/policy"]["post"];
        assert_eq!(publish["parameters"][0]["name"], "tenant");
        assert!(publish["security"].is_array());
        assert!(json["components"]["securitySchemes"]["bearer"].is_object());
    }
}
