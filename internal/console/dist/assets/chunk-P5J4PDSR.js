var r=`# The alerts of one incident, paged (the incident page's table) or all of
# one filter (the alert list, pages/Alerts.tsx).
query AlertList($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: AlertWhereInput) {
  alerts(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: [{ field: STARTS_AT, direction: DESC }]) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      node {
        id
        fingerprint
        status
        name
        startsAt
        endsAt
        boundBy
        bindingNote
        flapping
        refires
        labels
        configurationItem { id name kind }
        service { id name }
        suppressedBy { id number title }
        incident { id title status }
      }
    }
  }
}
`;export{r as a};
