var i=`query GraphImpact($ci: ID!, $depth: Int, $types: [RelationshipType!], $limit: Int, $dependents: Boolean!, $dependencies: Boolean!) {
  node(id: $ci) { ... on ConfigurationItem { id name kind status } }
  dependents: impact(ci: $ci, direction: DEPENDENTS, maxDepth: $depth, types: $types, limit: $limit) @include(if: $dependents) {
    count
    truncated
    nodes { depth via parentID ci { id name kind status drifts { status } } }
  }
  dependencies: impact(ci: $ci, direction: DEPENDENCIES, maxDepth: $depth, types: $types, limit: $limit) @include(if: $dependencies) {
    count
    truncated
    nodes { depth via parentID ci { id name kind status drifts { status } } }
  }
}
`;export{i as a};
